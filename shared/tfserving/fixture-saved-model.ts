import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_SIGNATURE, PREDICT_METHOD_NAME, type SignatureSpec } from './messages.js';
import { protoType } from './proto-root.js';
import { SERVE_TAG } from './saved-model.js';
import { writeSimModelFile } from './sim-model-file.js';
import { signaturesToWire } from './wire-objects.js';

/** The seed's ResNet50 signature: raw 0-255 pixels in, 1000 class scores out. */
export const SEED_SIGNATURES: Record<string, SignatureSpec> = {
  [DEFAULT_SIGNATURE]: {
    name: DEFAULT_SIGNATURE,
    methodName: PREDICT_METHOD_NAME,
    inputs: {
      image_input: {
        name: 'image_input',
        dtype: 'DT_FLOAT',
        shape: [-1, 224, 224, 3],
        tensorName: 'serving_default_image_input:0',
      },
    },
    outputs: {
      resnet50: { name: 'resnet50', dtype: 'DT_FLOAT', shape: [-1, 1000], tensorName: 'StatefulPartitionedCall:0' },
    },
  },
  // Keras exports carry this initialisation signature too; TF Serving lists it in the metadata.
  __saved_model_init_op: {
    name: '__saved_model_init_op',
    methodName: '',
    inputs: {},
    outputs: {
      __saved_model_init_op: { name: '__saved_model_init_op', dtype: 'DT_INVALID', shape: [], tensorName: 'NoOp' },
    },
  },
};

const seed = SEED_SIGNATURES[DEFAULT_SIGNATURE] as SignatureSpec;
/**
 * The seed's signature with 8 floats in and 2 out instead of a 602 KB image: the simulated service time follows
 * the same cost model, and the generator's and the simulator's own CPU per request, which on a shared 2-core
 * machine would otherwise be much of what is measured, stays small (the gate bench, the whole-stack gate test).
 */
export const SMALL_SEED_SIGNATURES: Record<string, SignatureSpec> = {
  [DEFAULT_SIGNATURE]: {
    ...seed,
    inputs: { image_input: { ...(seed.inputs['image_input'] as SignatureSpec['inputs'][string]), shape: [-1, 8] } },
    outputs: { resnet50: { ...(seed.outputs['resnet50'] as SignatureSpec['outputs'][string]), shape: [-1, 2] } },
  },
};

export interface FixtureSavedModelOptions {
  /** When set, the model goes to DIR/NAME/VERSION (the image's /models/NAME layout); otherwise DIR/VERSION. */
  modelName?: string;
  version?: number;
  signatures?: Record<string, SignatureSpec>;
  /** Size of variables.data-00000-of-00001, to make a release asset of a realistic size. */
  variablesBytes?: number;
  tensorflowVersion?: string;
  /** Writes SIM_MODEL_FILE (assets.extra/tfs-sim.json): the simulator runs this model that many times slower. */
  simSlowdown?: number;
}

export interface FixtureSavedModel {
  /** What --model_base_path points at. */
  basePath: string;
  versionPath: string;
  version: number;
  signatures: Record<string, SignatureSpec>;
}

/**
 * Writes a small SavedModel with the seed's signature: a real saved_model.pb (schema version 1, one meta graph
 * tagged "serve" with the signature defs, no graph) and a variables/ directory whose files are placeholders.
 * It passes validateModelDir and the simulator; real TensorFlow could read its signatures but not run it. With
 * `simSlowdown`, it also carries the simulator's assets.extra/tfs-sim.json.
 */
export async function writeFixtureSavedModel(
  dir: string,
  options: FixtureSavedModelOptions = {},
): Promise<FixtureSavedModel> {
  const version = options.version ?? 1;
  const signatures = options.signatures ?? SEED_SIGNATURES;
  const basePath = options.modelName ? join(dir, options.modelName) : dir;
  const versionPath = join(basePath, String(version));
  const type = protoType('tensorflow.SavedModel');
  const savedModel = type.fromObject({
    savedModelSchemaVersion: 1,
    metaGraphs: [
      {
        metaInfoDef: { tags: [SERVE_TAG], tensorflowVersion: options.tensorflowVersion ?? '2.20.0' },
        signatureDef: signaturesToWire(signatures),
      },
    ],
  });
  await mkdir(join(versionPath, 'variables'), { recursive: true });
  await writeFile(join(versionPath, 'saved_model.pb'), type.encode(savedModel).finish());
  await writeFile(join(versionPath, 'variables', 'variables.index'), new Uint8Array(0));
  await writeFile(
    join(versionPath, 'variables', 'variables.data-00000-of-00001'),
    new Uint8Array(options.variablesBytes ?? 64),
  );
  if (options.simSlowdown !== undefined) await writeSimModelFile(versionPath, { slowdown: options.simSlowdown });
  return { basePath, versionPath, version, signatures };
}
