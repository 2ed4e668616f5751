import { status } from '@grpc/grpc-js';

/** A request TF Serving would refuse: the gRPC status code and TF Serving's message. Both servers map it. */
export class SimStatusError extends Error {
  override readonly name = 'SimStatusError';
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

export const invalidArgument = (message: string) => new SimStatusError(status.INVALID_ARGUMENT, message);
export const notFound = (message: string) => new SimStatusError(status.NOT_FOUND, message);
