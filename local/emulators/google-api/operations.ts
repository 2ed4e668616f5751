import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { packAny, serviceOf, type GoogleApi } from './load-api.js';

interface StoredOperation {
  name: string;
  done: boolean;
  metadata?: { typeUrl: string; value: Buffer };
  response?: { typeUrl: string; value: Buffer };
  error?: { code: number; message: string };
}

/**
 * google.longrunning.Operations for an emulator: long-running calls return an Operation at once, the work runs on,
 * and the client polls GetOperation until `done`, exactly as against the real service.
 */
export class Operations {
  private readonly ops = new Map<string, StoredOperation>();

  constructor(private readonly api: GoogleApi) {}

  start(parent: string, metadataType: string, metadata: Record<string, unknown>): StoredOperation {
    const op: StoredOperation = {
      name: `${parent}/operations/${randomUUID()}`,
      done: false,
      metadata: packAny(this.api.root, metadataType, metadata),
    };
    this.ops.set(op.name, op);
    return op;
  }

  updateMetadata(name: string, metadataType: string, metadata: Record<string, unknown>): void {
    const op = this.ops.get(name);
    if (op) op.metadata = packAny(this.api.root, metadataType, metadata);
  }

  finish(name: string, responseType: string, response: Record<string, unknown>): void {
    const op = this.ops.get(name);
    if (!op) return;
    op.done = true;
    op.response = packAny(this.api.root, responseType, response);
  }

  fail(name: string, code: grpc.status, message: string): void {
    const op = this.ops.get(name);
    if (!op) return;
    op.done = true;
    op.error = { code, message };
  }

  /** The Operation message as grpc-js serializes it (the `result` oneof set by what is present). */
  static toWire(op: StoredOperation): Record<string, unknown> {
    return {
      name: op.name,
      done: op.done,
      ...(op.metadata ? { metadata: op.metadata } : {}),
      ...(op.response ? { response: op.response } : {}),
      ...(op.error ? { error: { code: op.error.code, message: op.error.message, details: [] } } : {}),
    };
  }

  addTo(server: grpc.Server): void {
    server.addService(serviceOf(this.api, 'google.longrunning.Operations'), {
      getOperation: (call: grpc.ServerUnaryCall<{ name: string }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        const op = this.ops.get(call.request.name);
        if (!op) callback({ code: grpc.status.NOT_FOUND, details: `operation ${call.request.name} not found` });
        else callback(null, Operations.toWire(op));
      },
      listOperations: (_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
        callback(null, { operations: [...this.ops.values()].map(Operations.toWire), nextPageToken: '' }),
      deleteOperation: (
        call: grpc.ServerUnaryCall<{ name: string }, unknown>,
        callback: grpc.sendUnaryData<unknown>,
      ) => {
        this.ops.delete(call.request.name);
        callback(null, {});
      },
      cancelOperation: (_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
        callback({ code: grpc.status.UNIMPLEMENTED, details: 'cancel is not emulated' }),
      waitOperation: (call: grpc.ServerUnaryCall<{ name: string }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        const op = this.ops.get(call.request.name);
        if (!op) callback({ code: grpc.status.NOT_FOUND, details: `operation ${call.request.name} not found` });
        else callback(null, Operations.toWire(op));
      },
    });
  }
}
