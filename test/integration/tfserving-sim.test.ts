import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSimOptions, startTfServingSim, type TfServingSim } from '../../local/tfserving-sim/index.js';
import {
  createTfServingClient,
  createTfServingRestClient,
  readTensor,
  tensorFromImage,
  writeFixtureSavedModel,
  type PredictRequest,
  type TensorProto,
  type TfServingClient,
} from '../../shared/tfserving/index.js';

let dir: string;
let sim: TfServingSim;
let grpc: TfServingClient;
let rest: TfServingClient;
let image: TensorProto;

const spec = { name: 'resnet', signatureName: 'serving_default' };
const floats = (shape: number[]): TensorProto => ({
  dtype: 'DT_FLOAT',
  shape,
  tensorContent: new Uint8Array(4 * shape.reduce((a, b) => a * b, 1)),
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tfs-sim-'));
  const { basePath } = await writeFixtureSavedModel(dir, { modelName: 'resnet' });
  await writeFile(
    join(dir, 'monitoring.txt'),
    'prometheus_config { enable: true path: "/monitoring/prometheus/metrics" }',
  );
  const options = await resolveSimOptions({
    model_name: 'resnet',
    model_base_path: basePath,
    cpus: '8',
    tensorflow_inter_op_parallelism: '4',
    load_time_ms: '10',
    monitoring_config_file: join(dir, 'monitoring.txt'),
  });
  sim = await startTfServingSim({ ...options, port: 0, restApiPort: 0 });
  grpc = createTfServingClient({ target: `dns:///127.0.0.1:${sim.grpcPort}`, channels: 2, deadlineMs: 10_000 });
  rest = createTfServingRestClient({ baseUrl: `http://127.0.0.1:${sim.restPort}`, deadlineMs: 10_000 });
  const jpeg = join(dir, 'cat.jpg');
  await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 200, g: 120, b: 40 } } })
    .jpeg()
    .toFile(jpeg);
  image = await tensorFromImage(jpeg, { name: 'image_input', dtype: 'DT_FLOAT', shape: [-1, 224, 224, 3] });
});

afterAll(async () => {
  grpc?.close();
  rest?.close();
  await sim?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe.each([
  ['gRPC', () => grpc],
  ['REST', () => rest],
])('tfs-sim over %s', (_transport, client) => {
  it('answers a Predict of a JPEG with the signature output shape', async () => {
    const response = await client().predict({ modelSpec: spec, inputs: { image_input: image } });
    const output = readTensor(response.outputs['resnet50']!);
    expect(output.shape).toEqual([1, 1000]);
    const sum = (output.values as Float32Array).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(1, 3);
    expect(response.modelSpec).toMatchObject({ name: 'resnet', signatureName: 'serving_default' });
  });

  it('reports the model AVAILABLE and its signatures', async () => {
    const status = await client().getModelStatus({ name: 'resnet' });
    expect(status.modelVersionStatus).toEqual([
      { version: 1, state: 'AVAILABLE', status: { errorCode: 'OK', errorMessage: '' } },
    ]);
    const metadata = await client().getModelMetadata({ name: 'resnet', version: 1 });
    expect(metadata.signatures['serving_default']?.inputs['image_input']).toMatchObject({
      dtype: 'DT_FLOAT',
      shape: [-1, 224, 224, 3],
    });
    expect(metadata.modelSpec).toMatchObject({ name: 'resnet', version: 1 });
  });

  const small = floats([1, 224, 224, 3]);
  it.each<[string, PredictRequest, string, string]>([
    [
      'unknown model',
      { modelSpec: { name: 'nope' }, inputs: {} },
      'NOT_FOUND',
      'Servable not found for request: Latest(nope)',
    ],
    [
      'unknown version',
      { modelSpec: { name: 'resnet', version: 7 }, inputs: {} },
      'NOT_FOUND',
      'Servable not found for request: Specific(resnet, 7)',
    ],
    [
      'unknown signature',
      { modelSpec: { name: 'resnet', signatureName: 'nope' }, inputs: {} },
      'FAILED_PRECONDITION',
      'Serving signature key "nope" not found.',
    ],
    [
      'wrong input name',
      { modelSpec: spec, inputs: { pixels: floats([1, 2]) } },
      'INVALID_ARGUMENT',
      'input tensor alias not found in signature: pixels. Inputs expected to be in the set {image_input}.',
    ],
    [
      'an extra input',
      { modelSpec: spec, inputs: { image_input: small, extra: floats([1]) } },
      'INVALID_ARGUMENT',
      'input size does not match signature: 2!=1 len({extra,image_input}) != len({image_input}). Sent extra: {extra}. Missing but required: {}.',
    ],
    [
      'wrong shape',
      { modelSpec: spec, inputs: { image_input: floats([1, 224, 224]) } },
      'INVALID_ARGUMENT',
      "input 'image_input' has shape [1,224,224] but the signature expects [-1,224,224,3]",
    ],
  ])('refuses %s', async (_what, request, code, message) => {
    const err = await client()
      .predict(request)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'TfServingError', code });
    expect((err as Error).message).toContain(message);
    expect((err as Error).message).toContain(`model '${request.modelSpec.name}'`);
  });

  it('refuses status and metadata of an unknown model or version', async () => {
    await expect(client().getModelStatus({ name: 'resnet', version: 7 })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      details: 'Could not find version 7 of model resnet',
    });
    await expect(client().getModelMetadata({ name: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('tfs-sim gRPC-only checks', () => {
  it.each<[string, PredictRequest, string]>([
    [
      'a wrong dtype',
      { modelSpec: spec, inputs: { image_input: { ...floats([1, 224, 224, 3]), dtype: 'DT_INT32' } } },
      'Expects arg[0] to be float but int32 is provided',
    ],
    [
      'content of the wrong size',
      { modelSpec: spec, inputs: { image_input: { ...floats([1, 2]), shape: [1, 3] } } },
      'tensor parsing error: image_input',
    ],
    [
      'an unknown output filter',
      { modelSpec: spec, inputs: { image_input: floats([1, 224, 224, 3]) }, outputFilter: ['probs'] },
      'output tensor alias not found in signature: probs Outputs expected to be in the set {resnet50}.',
    ],
  ])('refuses %s with INVALID_ARGUMENT', async (_what, request, message) => {
    await expect(grpc.predict(request)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: message });
  });

  it('answers a batch of 3 with 3 rows', async () => {
    const response = await grpc.predict({ modelSpec: spec, inputs: { image_input: floats([3, 224, 224, 3]) } });
    expect(response.outputs['resnet50']?.shape).toEqual([3, 1000]);
  });
});

describe('tfs-sim REST and metrics', () => {
  const base = () => `http://127.0.0.1:${sim.restPort}`;

  it('answers the row format and maps errors to TF Serving HTTP codes', async () => {
    const row = await fetch(`${base()}/v1/models/resnet:predict`, {
      method: 'POST',
      body: JSON.stringify({ instances: [[[[0, 0, 0]]]] }),
    });
    expect(row.status).toBe(400);
    expect(await row.json()).toEqual({ error: expect.stringContaining('has shape [1,1,1,3]') });
    const missing = await fetch(`${base()}/v1/models/resnet:predict`, { method: 'POST', body: '{}' });
    expect([missing.status, await missing.json()]).toEqual([400, { error: "Missing 'inputs' or 'instances' key" }]);
    const malformed = await fetch(`${base()}/v2/models/resnet`);
    expect([malformed.status, await malformed.json()]).toEqual([
      404,
      { error: 'Malformed request: GET /v2/models/resnet' },
    ]);
  });

  it('serves TF Serving metric names on the monitoring path', async () => {
    const text = await (await fetch(`${base()}/monitoring/prometheus/metrics`)).text();
    expect(text).toMatch(/^:tensorflow:serving:request_count\{model_name="resnet",status="OK"\} [1-9]/m);
    expect(text).toMatch(/^:tensorflow:serving:request_count\{model_name="resnet",status="NOT_FOUND"\} [1-9]/m);
    expect(text).toContain(
      ':tensorflow:serving:request_latency_bucket{model_name="resnet",API="predict",entrypoint="GRPC",le="10"}',
    );
    expect(sim.cpuSeconds()).toBeGreaterThan(0);
  });
});

describe('tfs-sim with a fixed latency', () => {
  it('takes the fixed time per request and sheds load past --sim_max_in_flight', async () => {
    const options = await resolveSimOptions({
      model_name: 'resnet',
      model_base_path: join(dir, 'resnet'),
      load_time_ms: '0',
    });
    const fixed = await startTfServingSim({ ...options, port: 0, fixedLatencyMs: 150, maxInFlight: 2 });
    const client = createTfServingClient({ target: `127.0.0.1:${fixed.grpcPort}` });
    try {
      const request = { modelSpec: spec, inputs: { image_input: floats([1, 224, 224, 3]) } };
      await client.predict(request); // warm the connection
      const started = performance.now();
      const results = await Promise.allSettled([
        client.predict(request),
        client.predict(request),
        client.predict(request),
      ]);
      const elapsed = performance.now() - started;
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
      expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'RESOURCE_EXHAUSTED' } });
      expect(elapsed).toBeGreaterThanOrEqual(145);
      expect(elapsed).toBeLessThan(1500);
    } finally {
      client.close();
      await fixed.stop();
    }
  });
});
