import { status } from '@grpc/grpc-js';
import {
  statusName,
  type GetModelMetadataRequest,
  type GetModelMetadataResponse,
  type GetModelStatusRequest,
  type GetModelStatusResponse,
  type PredictRequest,
  type PredictResponse,
} from '../../shared/tfserving/index.js';
import type { BatchScheduler } from './batch-scheduler.js';
import type { SimClock } from './clock.js';
import type { SimMetrics } from './metrics.js';
import type { Runner } from './runner.js';
import type { Servable } from './servable.js';
import { SimStatusError } from './sim-status.js';
import type { StallGate } from './stall-gate.js';

export interface SimServiceDeps {
  servable: Servable;
  /** With --enable_batching; otherwise each request is its own session run on `runner`. */
  scheduler: BatchScheduler | undefined;
  runner: Runner;
  gate: StallGate;
  metrics: SimMetrics;
  clock: SimClock;
  /** Requests in progress at once (TF Serving's --grpc_max_threads); past it, RESOURCE_EXHAUSTED. Bounds memory. */
  maxInFlight: number;
}

export type Entrypoint = 'GRPC' | 'REST';

/** The three calls, transport-free: the gRPC and REST servers both call these and only map errors. */
export function createSimService(deps: SimServiceDeps) {
  const { servable, clock, metrics } = deps;
  let inFlight = 0;

  async function measured<T>(api: string, entrypoint: Entrypoint, body: () => Promise<T>): Promise<T> {
    const start = clock.now();
    let code: string = 'OK';
    try {
      return await body();
    } catch (err) {
      code = err instanceof SimStatusError ? statusName(err.code) : 'INTERNAL';
      throw err;
    } finally {
      if (api !== 'predict' || code !== 'OK') metrics.request(api, entrypoint, code, clock.now() - start);
    }
  }

  async function predict(request: PredictRequest, entrypoint: Entrypoint): Promise<PredictResponse> {
    const start = clock.now();
    return measured('predict', entrypoint, async () => {
      if (inFlight >= deps.maxInFlight) {
        throw new SimStatusError(
          status.RESOURCE_EXHAUSTED,
          `tfs-sim: ${inFlight} requests already in progress, the limit (--grpc_max_threads) is ${deps.maxInFlight}`,
        );
      }
      inFlight++;
      try {
        await deps.gate.pass();
        const resolved = servable.resolvePredict(request);
        const runStart = clock.now();
        await (deps.scheduler ? deps.scheduler.submit(resolved.batch) : deps.runner.run(resolved.batch));
        const runtimeMs = clock.now() - runStart;
        await deps.gate.pass();
        metrics.request('predict', entrypoint, 'OK', clock.now() - start, runtimeMs, resolved.batch);
        return {
          modelSpec: { name: servable.modelName, version: resolved.version, signatureName: resolved.signatureName },
          outputs: servable.outputs(resolved),
        };
      } finally {
        inFlight--;
      }
    });
  }

  function getModelMetadata(
    request: GetModelMetadataRequest,
    entrypoint: Entrypoint,
  ): Promise<GetModelMetadataResponse> {
    return measured('GetModelMetadata', entrypoint, async () => {
      const version = servable.metadataVersion(request.modelSpec, request.metadataField);
      return { modelSpec: { name: servable.modelName, version }, signatures: servable.signatures };
    });
  }

  function getModelStatus(request: GetModelStatusRequest, entrypoint: Entrypoint): Promise<GetModelStatusResponse> {
    return measured('GetModelStatus', entrypoint, async () => ({
      modelVersionStatus: servable.versionStatuses(request.modelSpec),
    }));
  }

  return { predict, getModelMetadata, getModelStatus, signatures: () => servable.signatures, inFlight: () => inFlight };
}

export type SimService = ReturnType<typeof createSimService>;
