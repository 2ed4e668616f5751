import { encodeGetModelMetadataResponse, encodePredictResponse } from '../../shared/tfserving/codec.js';
import { SEED_SIGNATURES } from '../../shared/tfserving/fixture-saved-model.js';
import { DEFAULT_SIGNATURE, type SignatureSpec, type TensorSpec } from '../../shared/tfserving/messages.js';
import { GET_MODEL_METADATA_METHOD, PREDICT_METHOD } from '../../shared/tfserving/methods.js';
import { startEchoServer } from '../../loadtest/testing/echo-server.js';
import { startFastServer } from './fast-server.js';

/**
 * The bench's server, run in its own process pinned to its own core: the seed's ResNet signature for
 * GetModelMetadata and a tiny fixed Predict reply. Plain, it is the tuned fast server (throughput cases);
 * with --stall, the echo server stalling 1 s every 10 s (the accuracy case). Prints its port and start time as JSON.
 */
const stall = process.argv.includes('--stall');
// Both signatures answer one 4-byte float, so the bench measures the request side: the seed's [1,224,224,3]
// image input (602 KB), and a tiny [1,2] input.
const output = { resnet50: { name: 'resnet50', dtype: 'DT_FLOAT', shape: [-1, 1] } } satisfies Record<
  string,
  TensorSpec
>;
const seed = SEED_SIGNATURES[DEFAULT_SIGNATURE]!;
const signatures: Record<string, SignatureSpec> = {
  [DEFAULT_SIGNATURE]: { ...seed, outputs: output },
  tiny: {
    name: 'tiny',
    methodName: seed.methodName,
    inputs: { x: { name: 'x', dtype: 'DT_FLOAT', shape: [-1, 2] } },
    outputs: output,
  },
};
const reply = encodePredictResponse({ outputs: { resnet50: { dtype: 'DT_FLOAT', shape: [1, 1], floatVal: [0.5] } } });
const server = stall
  ? await startEchoServer({
      reply,
      tfServing: { model: 'resnet', signatures },
      stall: { everyMs: 10_000, forMs: 1000 },
    })
  : await startFastServer({
      [GET_MODEL_METADATA_METHOD]: encodeGetModelMetadataResponse({ signatures }),
      [PREDICT_METHOD]: reply,
    });
const startedAt = 'startedAt' in server ? server.startedAt : performance.now();
const grpcPort = 'grpcPort' in server ? server.grpcPort : server.port;
console.log(JSON.stringify({ grpcPort, startEpochMs: performance.timeOrigin + startedAt }));
process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
