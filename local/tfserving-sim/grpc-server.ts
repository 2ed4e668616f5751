import {
  Server,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServerUnaryCall,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { errorMessage } from '../../shared/errors.js';
import { MAX_MESSAGE_BYTES } from '../../shared/tfserving/grpc-client.js';
import { modelServiceDefinition, predictionServiceDefinition } from '../../shared/tfserving/grpc-services.js';
import type { SimService } from './sim-service.js';
import { SimStatusError } from './sim-status.js';

function unary<Req, Res>(handle: (request: Req) => Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    handle(call.request).then(
      (response) => callback(null, response),
      (err: unknown) =>
        callback({
          code: err instanceof SimStatusError ? err.code : status.INTERNAL,
          details: errorMessage(err),
        }),
    );
  };
}

/** The gRPC side: PredictionService and ModelService on `host:port`, with TF Serving's INT32_MAX message limit. */
export async function startGrpcServer(
  service: SimService,
  host: string,
  port: number,
): Promise<{ port: number; stop(): Promise<void> }> {
  const server = new Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  });
  server.addService(predictionServiceDefinition, {
    Predict: unary((r: Parameters<SimService['predict']>[0]) => service.predict(r, 'GRPC')),
    GetModelMetadata: unary((r: Parameters<SimService['getModelMetadata']>[0]) => service.getModelMetadata(r, 'GRPC')),
  } as UntypedServiceImplementation);
  server.addService(modelServiceDefinition, {
    GetModelStatus: unary((r: Parameters<SimService['getModelStatus']>[0]) => service.getModelStatus(r, 'GRPC')),
  } as UntypedServiceImplementation);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    port: bound,
    stop: () =>
      new Promise<void>((resolve) => {
        // In-flight calls get a moment to finish, as a graceful shutdown should; then the rest are cut.
        const force = setTimeout(() => server.forceShutdown(), 2000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
