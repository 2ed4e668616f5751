import { setTimeout as delay } from 'node:timers/promises';
import {
  DEFAULT_SIGNATURE,
  createTfServingClient,
  randomTensor,
  type TfServingClient,
  type TensorProto,
} from '../shared/tfserving/index.js';
import { BakeError } from './bake-error.js';

/**
 * The optional last step of a bake: the baked image is running (started by a docker step); wait until its model is
 * AVAILABLE, then send one Predict built from the model's own signature. A model that loads but cannot answer fails
 * the build here, before anything is deployed.
 */

export interface SmokeCheckOptions {
  /** host:port of the server's gRPC port. */
  target: string;
  modelName: string;
  timeoutMs: number;
  print: (line: string) => void;
  client?: TfServingClient;
  pollMs?: number;
}

export async function smokeCheck(o: SmokeCheckOptions): Promise<void> {
  const client = o.client ?? createTfServingClient({ target: o.target, deadlineMs: 10_000 });
  const deadline = Date.now() + o.timeoutMs;
  const spec = { name: o.modelName };
  try {
    let last = 'no answer yet';
    for (;;) {
      const status = await client.getModelStatus(spec).then(
        (r) => r.modelVersionStatus,
        (err: Error) => {
          last = err.message;
          return [];
        },
      );
      const available = status.find((s) => s.state === 'AVAILABLE');
      if (available) {
        o.print(`model ${o.modelName} version ${available.version} is AVAILABLE at ${o.target}`);
        break;
      }
      const failed = status.find((s) => s.state === 'END' && s.status.errorCode !== 'OK');
      if (failed)
        throw new BakeError('smoke-check', `model ${o.modelName} failed to load: ${failed.status.errorMessage}`);
      if (status.length) last = status.map((s) => `version ${s.version} ${s.state}`).join(', ');
      if (Date.now() > deadline) {
        throw new BakeError(
          'smoke-check',
          `model ${o.modelName} was not AVAILABLE at ${o.target} within ${o.timeoutMs} ms (${last})`,
        );
      }
      await delay(o.pollMs ?? 2000);
    }
    const { signatures } = await client.getModelMetadata(spec);
    const signature =
      signatures[DEFAULT_SIGNATURE] ?? Object.values(signatures).find((s) => Object.keys(s.inputs).length);
    if (!signature) throw new BakeError('smoke-check', `model ${o.modelName} reports no signature to call`);
    const inputs: Record<string, TensorProto> = {};
    for (const [name, input] of Object.entries(signature.inputs)) inputs[name] = randomTensor(input, 1);
    const started = performance.now();
    const response = await client
      .predict({ modelSpec: { ...spec, signatureName: signature.name }, inputs })
      .catch((err: Error) => {
        throw new BakeError('smoke-check', `Predict on ${o.modelName}/${signature.name} failed: ${err.message}`, {
          cause: err,
        });
      });
    const outputs = Object.entries(response.outputs).map(([k, t]) => `${k} [${t.shape.join(',')}]`);
    o.print(
      `Predict on ${signature.name} answered in ${(performance.now() - started).toFixed(0)} ms: ${outputs.join(', ')}`,
    );
  } finally {
    if (!o.client) client.close();
  }
}
