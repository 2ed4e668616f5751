import { credentials, makeGenericClientConstructor, type Client, type ServiceError } from '@grpc/grpc-js';
import { predictionServiceDefinition, modelServiceDefinition } from './grpc-services.js';
import type {
  GetModelMetadataResponse,
  GetModelStatusResponse,
  ModelSpec,
  PredictRequest,
  PredictResponse,
} from './messages.js';
import { statusName } from './status-codes.js';
import { TfServingError } from './tfserving-error.js';

export interface TfServingClientOptions {
  /** "host:port", or "dns:///host:port" so that round_robin spreads calls over every address (every pod). */
  target: string;
  /** Separate channels (each with its own connections); calls rotate over them. Default 1. */
  channels?: number;
  /** Default deadline of each call. Default 30 s, as the seed's load test used. */
  deadlineMs?: number;
  /** Send and receive limit. Default 2 GiB - 1, as TF Serving's server (grpc-js would otherwise receive 4 MiB). */
  maxMessageBytes?: number;
}

export interface CallOptions {
  deadlineMs?: number;
}

/** The calls the project makes to TF Serving; the gRPC and REST clients have this same shape. */
export interface TfServingClient {
  predict(request: PredictRequest, options?: CallOptions): Promise<PredictResponse>;
  getModelMetadata(modelSpec: ModelSpec, options?: CallOptions): Promise<GetModelMetadataResponse>;
  getModelStatus(modelSpec: ModelSpec, options?: CallOptions): Promise<GetModelStatusResponse>;
  close(): void;
}

export const MAX_MESSAGE_BYTES = 2 ** 31 - 1;
const DEFAULT_DEADLINE_MS = 30_000;

const TfServingGrpcClient = makeGenericClientConstructor(
  { ...predictionServiceDefinition, ...modelServiceDefinition },
  'TfServing',
);

type UnaryMethod = (
  request: unknown,
  options: { deadline: number },
  callback: (err: ServiceError | null, response?: unknown) => void,
) => void;

/** A TF Serving client over gRPC (@grpc/grpc-js), with round_robin load balancing and raised message limits. */
export function createTfServingClient(options: TfServingClientOptions): TfServingClient {
  const limit = options.maxMessageBytes ?? MAX_MESSAGE_BYTES;
  const channelOptions = {
    'grpc.max_receive_message_length': limit,
    'grpc.max_send_message_length': limit,
    'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
    // Without a local pool, channels to one target share their connections, and "several channels" would be one.
    'grpc.use_local_subchannel_pool': 1,
  };
  const clients: Client[] = Array.from(
    { length: Math.max(1, options.channels ?? 1) },
    () => new TfServingGrpcClient(options.target, credentials.createInsecure(), channelOptions),
  );
  let next = 0;

  function call<T>(method: string, modelSpec: ModelSpec, request: unknown, callOptions?: CallOptions): Promise<T> {
    const client = clients[next++ % clients.length] as unknown as Record<string, UnaryMethod>;
    const deadline = Date.now() + (callOptions?.deadlineMs ?? options.deadlineMs ?? DEFAULT_DEADLINE_MS);
    return new Promise<T>((resolve, reject) => {
      (client[method] as UnaryMethod).call(client, request, { deadline }, (err, response) => {
        if (err) {
          reject(
            new TfServingError({ method, target: options.target, modelSpec }, statusName(err.code), err.details, {
              cause: err,
            }),
          );
        } else resolve(response as T);
      });
    });
  }

  return {
    predict: (request, o) => call('Predict', request.modelSpec, request, o),
    getModelMetadata: (modelSpec, o) =>
      call('GetModelMetadata', modelSpec, { modelSpec, metadataField: ['signature_def'] }, o),
    getModelStatus: (modelSpec, o) => call('GetModelStatus', modelSpec, { modelSpec }, o),
    close: () => clients.forEach((c) => c.close()),
  };
}
