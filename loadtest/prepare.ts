import { readFile } from 'node:fs/promises';
import { ModelshipError } from '../shared/errors.js';
import { encodePredictRequest } from '../shared/tfserving/codec.js';
import type { TensorProto, TensorSpec } from '../shared/tfserving/messages.js';
import { PREDICT_METHOD } from '../shared/tfserving/methods.js';
import { tensorToNested } from '../shared/tfserving/nested-json.js';
import { randomTensor, tensorFromImage } from '../shared/tfserving/tensor-inputs.js';
import { TfServingError } from '../shared/tfserving/tfserving-error.js';
import { fetchSignatures, modelSpec } from './fetch-signature.js';
import type { LoadTestOptions } from './options.js';
import { createSender } from './senders/create-sender.js';
import { untilConnected } from './until-connected.js';

/** The one request of the test, serialized once, and the outputs its replies must have. */
export interface PreparedRequest {
  /** gRPC method path or REST URL path. */
  readonly path: string;
  readonly body: Uint8Array;
  readonly outputs: readonly TensorSpec[];
  /** The model version the server reported serving, for the report (absent when it said none). */
  readonly modelVersion?: number;
}

/**
 * Builds the request from the model's own signature and sends it once: a wrong target, model, signature or
 * input fails here, with the server's answer, instead of after minutes of errors. The signature is the first
 * call: it waits up to --connect-timeout for a target that cannot be reached yet, logging each wait to `log`.
 */
export async function prepareRequest(
  options: LoadTestOptions,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<PreparedRequest> {
  const { signatures, version } = await untilConnected(() => fetchSignatures(options), {
    target: options.target,
    deadlineMs: options.connectTimeoutMs,
    attemptMs: options.timeoutMs,
    log,
  });
  const signature = signatures[options.signature];
  if (!signature) {
    throw new ModelshipError(
      `model '${options.model}' at ${options.target.authority} has no signature '${options.signature}' (found: ${Object.keys(signatures).join(', ') || 'none'})`,
      { hint: 'pass --signature with one of those' },
    );
  }
  const inputs = Object.values(signature.inputs);
  const request = await buildBody(options, inputs);
  const prepared = { ...request, outputs: Object.values(signature.outputs) };
  const sender = await createSender({
    ...prepared,
    protocol: options.protocol,
    target: options.target,
    channels: 1,
    timeoutMs: options.timeoutMs,
    h2: options.h2,
    keepReply: true,
  });
  try {
    const reply = await sender.send();
    if (!reply.ok) {
      const call = { method: 'Predict (pre-flight)', target: options.target.authority, modelSpec: modelSpec(options) };
      throw new TfServingError(call, reply.code.split(' ').at(-1) ?? reply.code, reply.message ?? reply.code);
    }
  } finally {
    await sender.close();
  }
  return version === undefined ? prepared : { ...prepared, modelVersion: version };
}

async function buildBody(options: LoadTestOptions, inputs: TensorSpec[]): Promise<{ path: string; body: Uint8Array }> {
  const version = options.version !== undefined ? `/versions/${options.version}` : '';
  const path =
    options.protocol === 'grpc' ? PREDICT_METHOD : `/v1/models/${encodeURIComponent(options.model)}${version}:predict`;
  if (options.input.kind === 'request') return { path, body: await readFile(options.input.file) };
  const { input } = options;
  if (input.kind === 'image' && inputs.length !== 1) {
    throw new ModelshipError(
      `--image: signature '${options.signature}' has ${inputs.length} inputs, an image fills exactly one`,
      {
        hint: 'give the whole request with --request FILE',
      },
    );
  }
  const tensors: Record<string, TensorProto> = {};
  for (const spec of inputs)
    tensors[spec.name] =
      input.kind === 'image' ? await tensorFromImage(input.file, spec) : randomTensor(spec, options.batch);
  if (options.protocol === 'grpc')
    return { path, body: encodePredictRequest({ modelSpec: modelSpec(options), inputs: tensors }) };
  const columns = Object.fromEntries(Object.entries(tensors).map(([name, t]) => [name, tensorToNested(t)]));
  return {
    path,
    body: new TextEncoder().encode(JSON.stringify({ signature_name: options.signature, inputs: columns })),
  };
}
