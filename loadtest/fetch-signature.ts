import { ModelshipError } from '../shared/errors.js';
import { decodeGetModelMetadataResponse, encodeGetModelMetadataRequest } from '../shared/tfserving/codec.js';
import { isDType } from '../shared/tfserving/dtype.js';
import type { ModelSpec, SignatureSpec, TensorSpec } from '../shared/tfserving/messages.js';
import { GET_MODEL_METADATA_METHOD } from '../shared/tfserving/methods.js';
import { TfServingError } from '../shared/tfserving/tfserving-error.js';
import type { LoadTestOptions } from './options.js';
import { createSender } from './senders/create-sender.js';

export function modelSpec(options: LoadTestOptions): ModelSpec {
  return {
    name: options.model,
    signatureName: options.signature,
    ...(options.version !== undefined ? { version: options.version } : {}),
  };
}

/** The signatures of the model, over the protocol of the test: GetModelMetadata (gRPC) or GET .../metadata (REST). */
/** The model's signatures, and the version the server says it serves (absent when it does not say). */
export interface ModelMetadata {
  readonly signatures: Record<string, SignatureSpec>;
  readonly version?: number;
}

export async function fetchSignatures(options: LoadTestOptions): Promise<ModelMetadata> {
  const spec = modelSpec(options);
  const call = { method: 'GetModelMetadata', target: options.target.authority, modelSpec: spec };
  if (options.protocol === 'grpc') {
    // Over the test's own HTTP/2 client (--h2).
    const sender = await createSender({
      protocol: 'grpc',
      target: options.target,
      path: GET_MODEL_METADATA_METHOD,
      body: encodeGetModelMetadataRequest({
        modelSpec: { name: spec.name, ...(spec.version !== undefined ? { version: spec.version } : {}) },
        metadataField: ['signature_def'],
      }),
      channels: 1,
      timeoutMs: options.timeoutMs,
      keepReply: true,
      h2: options.h2,
    });
    try {
      const reply = await sender.send();
      if (!reply.ok || !reply.body)
        throw new TfServingError(call, reply.code.split(' ').at(-1) ?? reply.code, reply.message ?? '');
      const { signatures, modelSpec: served } = decodeGetModelMetadataResponse(reply.body);
      return { signatures, ...(served?.version !== undefined ? { version: served.version } : {}) };
    } finally {
      await sender.close();
    }
  }
  const version = options.version !== undefined ? `/versions/${options.version}` : '';
  const path = `/v1/models/${encodeURIComponent(options.model)}${version}/metadata`;
  const { host, port } = options.target;
  const { httpGet } = await import('./senders/rest.js');
  const { status, body } = await httpGet({ host, port, path }, options.timeoutMs).catch((err: Error) => {
    throw new ModelshipError(`target ${options.target.authority}: GET ${path} failed: ${err.message}`, {
      cause: err,
      hint: 'check --target (TF Serving REST listens on 8501) and that the server is up',
    });
  });
  if (status !== 200)
    throw new TfServingError(call, status === 404 ? 'NOT_FOUND' : `HTTP ${status}`, body.slice(0, 300));
  const json = JSON.parse(body) as RestMetadata;
  const served = Number(json.model_spec?.version ?? Number.NaN);
  return { signatures: signaturesFromRestJson(json), ...(Number.isInteger(served) ? { version: served } : {}) };
}

interface RestTensorInfo {
  dtype?: string;
  tensor_shape?: { dim?: { size?: string | number }[]; unknown_rank?: boolean };
}
interface RestMetadata {
  /** TF Serving writes the version as a string (proto JSON's int64). */
  model_spec?: { version?: string | number };
  metadata?: {
    signature_def?: {
      signature_def?: Record<
        string,
        { inputs?: Record<string, RestTensorInfo>; outputs?: Record<string, RestTensorInfo>; method_name?: string }
      >;
    };
  };
}

function tensorSpecs(infos: Record<string, RestTensorInfo> = {}): Record<string, TensorSpec> {
  return Object.fromEntries(
    Object.entries(infos).map(([name, info]) => {
      const dtype = isDType(info.dtype) ? info.dtype : 'DT_INVALID';
      const shape = (info.tensor_shape?.dim ?? []).map((d) => Number(d.size ?? -1));
      return [name, { name, dtype, shape } as TensorSpec];
    }),
  );
}

/** TF Serving's REST metadata is the SignatureDefMap in proto JSON. */
export function signaturesFromRestJson(json: RestMetadata): Record<string, SignatureSpec> {
  const defs = json.metadata?.signature_def?.signature_def ?? {};
  return Object.fromEntries(
    Object.entries(defs).map(([name, def]) => [
      name,
      { name, methodName: def.method_name ?? '', inputs: tensorSpecs(def.inputs), outputs: tensorSpecs(def.outputs) },
    ]),
  );
}
