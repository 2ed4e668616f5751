import { status } from '@grpc/grpc-js';
import type { CallOptions, TfServingClient } from './grpc-client.js';
import {
  DEFAULT_SIGNATURE,
  type ModelSpec,
  type PredictRequest,
  type SignatureSpec,
  type TensorProto,
} from './messages.js';
import { nestedToTensor, tensorToNested } from './nested-json.js';
import { metadataFromJson, modelPath, modelStatusFromJson } from './rest-json.js';
import { statusName } from './status-codes.js';
import { TfServingError } from './tfserving-error.js';

export interface TfServingRestClientOptions {
  /** e.g. "http://127.0.0.1:8501" */
  baseUrl: string;
  deadlineMs?: number;
}

/** HTTP status back to the status TF Serving mapped to it (the inverse of status-codes.ts, where it is one-to-one). */
const CODE_OF_HTTP: Record<number, number> = {
  400: status.INVALID_ARGUMENT,
  401: status.UNAUTHENTICATED,
  403: status.PERMISSION_DENIED,
  404: status.NOT_FOUND,
  409: status.ABORTED,
  412: status.FAILED_PRECONDITION,
  429: status.RESOURCE_EXHAUSTED,
  499: status.CANCELLED,
  501: status.UNIMPLEMENTED,
  503: status.UNAVAILABLE,
  504: status.DEADLINE_EXCEEDED,
};

/**
 * A TF Serving client over the REST API, with the gRPC client's shape. Tensors travel as JSON lists in the columnar
 * "inputs" format; the signature (fetched once per model and version) gives the output dtypes JSON cannot carry.
 */
export function createTfServingRestClient(options: TfServingRestClientOptions): TfServingClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  const signatures = new Map<string, Promise<Record<string, SignatureSpec>>>();

  async function request(
    method: string,
    spec: ModelSpec,
    path: string,
    body?: unknown,
    o?: CallOptions,
  ): Promise<Record<string, unknown>> {
    const fail = (code: number, details: string, extra: { cause?: unknown; httpStatus?: number } = {}) =>
      new TfServingError({ method, target: base, modelSpec: spec }, statusName(code), details, extra);
    let response: Response;
    try {
      response = await fetch(base + path, {
        method: body === undefined ? 'GET' : 'POST',
        ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
        signal: AbortSignal.timeout(o?.deadlineMs ?? options.deadlineMs ?? 30_000),
      });
    } catch (err) {
      const timedOut = err instanceof Error && err.name === 'TimeoutError';
      throw fail(timedOut ? status.DEADLINE_EXCEEDED : status.UNAVAILABLE, String(err), { cause: err });
    }
    const text = await response.text();
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw fail(status.INTERNAL, `HTTP ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`, {
        cause: err,
      });
    }
    if (!response.ok) {
      const code = CODE_OF_HTTP[response.status] ?? status.UNKNOWN;
      throw fail(code, String(json['error'] ?? text), { httpStatus: response.status });
    }
    return json;
  }

  const metadata = (spec: ModelSpec, o?: CallOptions) =>
    request('GetModelMetadata', spec, `${modelPath(spec)}/metadata`, undefined, o).then(metadataFromJson);

  function signatureOf(spec: ModelSpec, o?: CallOptions): Promise<SignatureSpec | undefined> {
    const key = `${spec.name}\n${spec.version ?? ''}\n${spec.versionLabel ?? ''}`;
    let cached = signatures.get(key);
    if (!cached) {
      cached = metadata({ name: spec.name, version: spec.version, versionLabel: spec.versionLabel }, o).then(
        (m) => m.signatures,
      );
      cached.catch(() => signatures.delete(key));
      signatures.set(key, cached);
    }
    return cached.then((all) => all[spec.signatureName || DEFAULT_SIGNATURE]);
  }

  async function predict(req: PredictRequest, o?: CallOptions) {
    const spec = req.modelSpec;
    const body = {
      signature_name: spec.signatureName || DEFAULT_SIGNATURE,
      inputs: Object.fromEntries(Object.entries(req.inputs).map(([name, t]) => [name, tensorToNested(t)])),
    };
    const json = await request('Predict', spec, `${modelPath(spec)}:predict`, body, o);
    const signature = await signatureOf(spec, o);
    const outputSpecs = Object.values(signature?.outputs ?? {});
    const raw = json['outputs'];
    // One output comes bare; several come as an object keyed by alias.
    const named = outputSpecs.length === 1 ? { [outputSpecs[0]!.name]: raw } : ((raw ?? {}) as Record<string, unknown>);
    const outputs: Record<string, TensorProto> = {};
    for (const [name, value] of Object.entries(named)) {
      if (req.outputFilter?.length && !req.outputFilter.includes(name)) continue;
      const dtype = signature?.outputs[name]?.dtype ?? 'DT_FLOAT';
      outputs[name] = nestedToTensor(value, dtype, `output '${name}'`);
    }
    return { modelSpec: spec, outputs };
  }

  return {
    predict,
    getModelMetadata: metadata,
    getModelStatus: (spec, o) =>
      request('GetModelStatus', spec, modelPath(spec), undefined, o).then((json) => ({
        modelVersionStatus: modelStatusFromJson(json),
      })),
    close: () => signatures.clear(),
  };
}
