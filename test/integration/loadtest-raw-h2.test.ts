import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoadTest } from '../../loadtest/engine.js';
import { fetchSignatures } from '../../loadtest/fetch-signature.js';
import { createRawGrpcSender } from '../../loadtest/senders/grpc-raw.js';
import { grpcOutputCheck } from '../../loadtest/senders/output-check.js';
import { parseTarget, type Target } from '../../loadtest/senders/target.js';
import { resolveSimOptions, startTfServingSim, type TfServingSim } from '../../local/tfserving-sim/index.js';
import {
  decodeGetModelMetadataResponse,
  decodePredictResponse,
  encodeGetModelMetadataRequest,
  encodePredictRequest,
  GET_MODEL_METADATA_METHOD,
  PREDICT_METHOD,
  randomTensor,
  SEED_SIGNATURES,
  writeFixtureSavedModel,
} from '../../shared/tfserving/index.js';
import { grpcJsCall } from '../unit/loadtest/senders/grpc-reference-servers.js';
import { options } from '../unit/loadtest/support.js';

let dir: string;
let sim: TfServingSim;
let target: Target;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loadtest-raw-h2-'));
  const { basePath } = await writeFixtureSavedModel(dir, { modelName: 'resnet' });
  const simOptions = await resolveSimOptions({
    model_name: 'resnet',
    model_base_path: basePath,
    cpus: '8',
    tensorflow_inter_op_parallelism: '4',
    load_time_ms: '10',
  });
  sim = await startTfServingSim({ ...simOptions, port: 0, restApiPort: 0, fixedLatencyMs: 5 });
  target = parseTarget(`127.0.0.1:${sim.grpcPort}`) as Target;
});
afterAll(async () => {
  await sim?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** One call through the raw sender, keeping the reply. */
async function rawCall(path: string, message: Uint8Array, outputs = false) {
  const signature = SEED_SIGNATURES['serving_default']!;
  const replyCheck = outputs ? grpcOutputCheck(Object.values(signature.outputs), 1) : undefined;
  const sender = await createRawGrpcSender({
    target,
    path,
    message,
    channels: 1,
    timeoutMs: 10_000,
    keepReply: true,
    replyCheck,
  });
  try {
    return await sender.send();
  } finally {
    await sender.close();
  }
}

describe('the raw HTTP/2 gRPC sender against the TF Serving simulator (grpc-js server)', () => {
  it('sends a real 602 KB ResNet Predict and gets the reply grpc-js gets, of the signature shape', async () => {
    const input = SEED_SIGNATURES['serving_default']!.inputs['image_input']!;
    const request = encodePredictRequest({
      modelSpec: { name: 'resnet', signatureName: 'serving_default' },
      inputs: { image_input: randomTensor(input, 1) },
    });
    expect(request.length).toBeGreaterThan(600_000);
    const raw = await rawCall(PREDICT_METHOD, request, true);
    expect(raw).toMatchObject({ ok: true, code: 'OK', bytesSent: request.length + 5 });
    const reference = await grpcJsCall(target, PREDICT_METHOD, Buffer.from(request));
    expect(Buffer.from(raw.body!)).toEqual(reference.reply);
    expect(decodePredictResponse(raw.body!).outputs['resnet50']?.shape).toEqual([1, 1000]);
  });

  it("reads the model's signatures, and TF Serving's NOT_FOUND for another model as grpc-js does", async () => {
    const metadata = (name: string): Uint8Array =>
      encodeGetModelMetadataRequest({ modelSpec: { name }, metadataField: ['signature_def'] });
    const found = await rawCall(GET_MODEL_METADATA_METHOD, metadata('resnet'));
    expect(Object.keys(decodeGetModelMetadataResponse(found.body!).signatures)).toContain('serving_default');
    const missing = await rawCall(GET_MODEL_METADATA_METHOD, metadata('nope'));
    const reference = await grpcJsCall(target, GET_MODEL_METADATA_METHOD, Buffer.from(metadata('nope')));
    expect(reference.code).toBe(5);
    expect(missing).toMatchObject({ ok: false, code: 'grpc 5 NOT_FOUND', message: reference.details });
  });

  it('rejects an unknown --h2 client among the option problems', () => {
    expect(() => options({ target: target.authority, rate: '1', duration: '1s', h2: 'nghttp2' })).toThrow(
      "--h2: expected raw or node, found 'nghttp2'",
    );
  });

  it.each(['raw', 'node'])('runs a load test with --h2 %s: signature, pre-flight Predict, no failure', async (h2) => {
    const summary = await runLoadTest(
      options({ target: target.authority, model: 'resnet', users: '4', 'spawn-rate': '100', duration: '1s', h2 }),
    );
    expect(summary.requests.ok).toBeGreaterThan(10);
    expect(summary.requests.failed).toBe(0);
    expect(summary.requests.bytesSent / summary.requests.total).toBeGreaterThan(600_000);
    // No --version: the one the server reported serving, for the report.
    expect(summary.target.version).toBe(1);
  });

  it('reads the version the server serves from the model metadata, over gRPC and REST', async () => {
    const given = { model: 'resnet', rate: '1', duration: '1s' };
    const grpc = await fetchSignatures(options({ ...given, target: target.authority }));
    const rest = await fetchSignatures(options({ ...given, target: `127.0.0.1:${sim.restPort}`, protocol: 'rest' }));
    expect([grpc.version, rest.version]).toEqual([1, 1]);
    expect(Object.keys(rest.signatures)).toEqual(Object.keys(grpc.signatures));
  });
});
