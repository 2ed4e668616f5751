import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { errorMessage } from '../errors.js';
import { SavedModelError } from './saved-model.js';

/**
 * The simulator's file in a SavedModel's version directory: a documented way to release a slower (or faster)
 * model in the simulator, e.g. to show the gate refusing it. `assets.extra/` is where TF Serving's model warmup
 * looks for its own file and otherwise ignores, so the same model runs unchanged on real TF Serving.
 */
export const SIM_MODEL_FILE = 'assets.extra/tfs-sim.json';

export const SimModelFileSchema = z.strictObject({
  /** Multiplies the model's cost: its CPU per example (or the fixed latency). 1.1 = 10% slower. */
  slowdown: z.number().positive('a positive factor such as 1.1 (10% slower)').max(1000, 'at most 1000'),
});

export type SimModelFile = z.infer<typeof SimModelFileSchema>;

/** The file's text, checked against the schema. */
export function simModelFileText(content: SimModelFile): string {
  return `${JSON.stringify(SimModelFileSchema.parse(content))}\n`;
}

export async function writeSimModelFile(versionPath: string, content: SimModelFile): Promise<void> {
  const file = join(versionPath, SIM_MODEL_FILE);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, simModelFileText(content));
}

/** The version directory's simulator file; undefined when it has none. A file that is not valid is an error. */
export async function readSimModelFile(versionPath: string): Promise<SimModelFile | undefined> {
  const file = join(versionPath, SIM_MODEL_FILE);
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new SavedModelError('invalid', `${file} is not JSON: ${errorMessage(err)}`, {
      hint: 'write {"slowdown": 1.1} to make the model 10% slower in the simulator, or remove the file',
    });
  }
  const parsed = SimModelFileSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  throw new SavedModelError('invalid', `${file}: ${problems}`, {
    hint: 'the only field is "slowdown", a positive factor: {"slowdown": 1.1} makes the model 10% slower',
  });
}
