import { ModelshipError } from '../errors.js';
import type { ModelSpec } from './messages.js';

const HINTS: Record<string, string> = {
  NOT_FOUND: 'check the model name and version: GET /v1/models/NAME lists the versions the server has',
  INVALID_ARGUMENT:
    "compare the request with the signature's inputs (GetModelMetadata, or GET /v1/models/NAME/metadata)",
  FAILED_PRECONDITION: 'the signature name is not in the model; GetModelMetadata lists the signatures',
  UNAVAILABLE: 'the server is unreachable, still loading the model, or its batching queue is full; retry later',
  DEADLINE_EXCEEDED: 'the server was too slow for the deadline: raise deadlineMs or lower the load',
  RESOURCE_EXHAUSTED:
    'a message larger than a size limit, or the server is saturated: raise maxMessageBytes or lower the load',
};

export interface TfServingCall {
  /** "Predict", "GetModelMetadata" or "GetModelStatus". */
  method: string;
  /** host:port or the REST base URL. */
  target: string;
  modelSpec: ModelSpec;
}

/** A failed call to TF Serving, naming the method, model, version and signature, with the server's status. */
export class TfServingError extends ModelshipError {
  override readonly name = 'TfServingError';
  readonly method: string;
  readonly target: string;
  readonly modelSpec: ModelSpec;

  constructor(
    call: TfServingCall,
    /** The gRPC status name, e.g. "NOT_FOUND" (REST errors are mapped back to one). */
    readonly code: string,
    readonly details: string,
    options: { cause?: unknown; httpStatus?: number } = {},
  ) {
    const { name, version, versionLabel, signatureName } = call.modelSpec;
    const which =
      version !== undefined ? `version ${version}` : versionLabel ? `label '${versionLabel}'` : 'latest version';
    const signature = signatureName ? ` signature '${signatureName}'` : '';
    const hint = HINTS[code];
    super(`${call.method} of model '${name}' ${which}${signature} at ${call.target} failed: ${code}: ${details}`, {
      cause: options.cause,
      ...(hint ? { hint } : {}),
    });
    this.method = call.method;
    this.target = call.target;
    this.modelSpec = call.modelSpec;
    this.httpStatus = options.httpStatus;
  }

  readonly httpStatus: number | undefined;
}
