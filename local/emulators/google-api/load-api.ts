import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);

/** A package's directory, found through Node's resolution from `from` (some packages do not export package.json). */
function packageDir(pkg: string, from = require): string {
  for (let dir = dirname(from.resolve(pkg)); dirname(dir) !== dir; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && basename(dir) === pkg.split('/').at(-1)) return dir;
  }
  throw new Error(`cannot find the directory of ${pkg}`);
}

/** The .proto files a client package ships (`build/protos`), and those of the google-gax it uses. */
export function protoDirs(pkg: string): string[] {
  const dir = packageDir(pkg);
  return [
    join(dir, 'build', 'protos'),
    join(packageDir('google-gax', createRequire(join(dir, 'package.json'))), 'build', 'protos'),
  ];
}

export interface GoogleApi {
  /** grpc-js service definitions, for `server.addService`. */
  grpc: grpc.GrpcObject;
  /** protobufjs types, for packing `google.protobuf.Any` values (operation metadata and results). */
  root: protobuf.Root;
}

/**
 * Loads a Google API from the .proto files its client package ships (plus google-gax's common protos), so that an
 * emulator speaks exactly the protocol the real client expects. Enums and longs as the clients' own decoding sees them.
 */
export function loadGoogleApi(pkg: string, files: readonly string[]): GoogleApi {
  const includeDirs = protoDirs(pkg);
  const definition = protoLoader.loadSync([...files, 'google/longrunning/operations.proto'], {
    includeDirs,
    keepCase: false,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    for (const dir of includeDirs) {
      const candidate = join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    return target;
  };
  root.loadSync([...files, 'google/longrunning/operations.proto'], { keepCase: false });
  return { grpc: grpc.loadPackageDefinition(definition), root };
}

/** `google.protobuf.Any` holding `value` of message type `typeName`. */
export function packAny(
  root: protobuf.Root,
  typeName: string,
  value: Record<string, unknown>,
): { typeUrl: string; value: Buffer } {
  const type = root.lookupType(typeName);
  const message = type.fromObject(value);
  return { typeUrl: `type.googleapis.com/${typeName}`, value: Buffer.from(type.encode(message).finish()) };
}

/** Looks up a service constructor in a loaded package by its dotted name. */
export function serviceOf(api: GoogleApi, dotted: string): grpc.ServiceDefinition {
  let node: unknown = api.grpc;
  for (const part of dotted.split('.')) node = (node as Record<string, unknown>)[part];
  const service = (node as { service?: grpc.ServiceDefinition } | undefined)?.service;
  if (!service) throw new Error(`service ${dotted} is not in the loaded protos`);
  return service;
}
