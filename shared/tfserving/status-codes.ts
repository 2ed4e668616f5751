import { status } from '@grpc/grpc-js';

/** gRPC status code names (tensorflow.error.Code uses the same numbers). */
export type StatusName = keyof typeof status;

export function statusName(code: number): string {
  return status[code] ?? `CODE_${code}`;
}

/** TF Serving's REST mapping of a status to an HTTP status (http_rest_api_util's ToHTTPStatusCode). */
const HTTP_STATUS: Record<number, number> = {
  [status.OK]: 200,
  [status.CANCELLED]: 499,
  [status.UNKNOWN]: 500,
  [status.INVALID_ARGUMENT]: 400,
  [status.DEADLINE_EXCEEDED]: 504,
  [status.NOT_FOUND]: 404,
  [status.ALREADY_EXISTS]: 409,
  [status.PERMISSION_DENIED]: 403,
  [status.RESOURCE_EXHAUSTED]: 429,
  [status.FAILED_PRECONDITION]: 412,
  [status.ABORTED]: 409,
  [status.OUT_OF_RANGE]: 400,
  [status.UNIMPLEMENTED]: 501,
  [status.INTERNAL]: 500,
  [status.UNAVAILABLE]: 503,
  [status.DATA_LOSS]: 500,
  [status.UNAUTHENTICATED]: 401,
};

export function httpStatusFor(code: number): number {
  return HTTP_STATUS[code] ?? 500;
}
