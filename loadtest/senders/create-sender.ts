import type { TensorSpec } from '../../shared/tfserving/messages.js';
import { createRawGrpcSender } from './grpc-raw.js';
import { grpcOutputCheck, restOutputCheck } from './output-check.js';
import { rememberLastVerdict } from './reply-check.js';
import type { Sender } from './sender.js';
import type { Target } from './target.js';

/** Everything a thread needs to build its sender; plain data, so it crosses to worker threads. */
export interface SenderSpec {
  readonly protocol: 'grpc' | 'rest';
  readonly target: Target;
  /** The method path (grpc) or URL path (rest). */
  readonly path: string;
  /** The serialized request message (grpc) or JSON body (rest). */
  readonly body: Uint8Array;
  readonly channels: number;
  readonly timeoutMs: number;
  /** The signature's outputs, to check reply shapes; none to skip the check. */
  readonly outputs?: readonly TensorSpec[];
  readonly keepReply?: boolean;
  /** The gRPC HTTP/2 client: raw (the project's own, the default) or node (node:http2). */
  readonly h2?: H2Client;
}

export const H2_CLIENTS = ['raw', 'node'] as const;
export type H2Client = (typeof H2_CLIENTS)[number];

/**
 * The sender of a spec. The node:http2 client and the REST one are loaded only for a test that uses them: each
 * weighs on the start-up of every other (node:http2 and node:http, about 20 ms of CPU).
 */
export async function createSender(spec: SenderSpec): Promise<Sender> {
  const { target, path, timeoutMs, keepReply } = spec;
  const outputs = spec.outputs?.length ? spec.outputs : undefined;
  if (spec.protocol === 'grpc') {
    const replyCheck = outputs && rememberLastVerdict(grpcOutputCheck(outputs));
    const create = spec.h2 === 'node' ? (await import('./grpc-h2.js')).createGrpcSender : createRawGrpcSender;
    return create({
      target,
      path,
      message: spec.body,
      channels: spec.channels,
      timeoutMs,
      keepReply,
      replyCheck,
    });
  }
  const replyCheck = outputs && rememberLastVerdict(restOutputCheck(outputs));
  const { createRestSender } = await import('./rest.js');
  return createRestSender({ target, path, body: spec.body, timeoutMs, keepReply, replyCheck });
}
