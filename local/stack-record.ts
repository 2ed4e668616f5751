import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../shared/errors.js';

/**
 * What `modelship local up` records in its directory while the stack is up, for the commands run beside it
 * (`local release`, `local down`): DIR/stack.json with the addresses and its process, DIR/secrets.json (mode 0600) with
 * the webhook's secret and the token that publishes releases. stack.json is written last, once everything is up.
 */
export const StackRecord = z.object({
  /** The `local up` process: SIGTERM to it stops everything. */
  pid: z.number().int().positive(),
  /** Its start time (process-start.ts): the PID is that process only while the two match. */
  start: z.string(),
  startedAt: z.string(),
  project: z.string(),
  runtime: z.enum(['containers', 'processes']),
  namespace: z.string(),
  functionsUrl: z.string(),
  github: z.object({ apiUrl: z.string(), serverUrl: z.string() }),
  /** Each server's address, by name (pubsub, firestore, functions, releases, kubernetes, cloudbuild, run, registry). */
  addresses: z.record(z.string(), z.string()),
  /** What DIR/env exports, for the real clients (gcloud, kubectl, modelship). */
  env: z.record(z.string(), z.string()),
  /** The administrator's kubeconfig (mode 0600). */
  kubeconfig: z.string(),
  logDir: z.string(),
});
export type StackRecord = z.infer<typeof StackRecord>;

export const StackSecrets = z.object({ webhookSecret: z.string(), githubToken: z.string() });
export type StackSecrets = z.infer<typeof StackSecrets>;

export const stackRecordFile = (dir: string) => join(dir, 'stack.json');
const secretsFile = (dir: string) => join(dir, 'secrets.json');

export async function writeStackRecord(dir: string, record: StackRecord, secrets: StackSecrets): Promise<void> {
  await writeFile(secretsFile(dir), `${JSON.stringify(secrets)}\n`, { mode: 0o600 });
  await writeFile(stackRecordFile(dir), `${JSON.stringify(record, null, 2)}\n`);
}

/** The record in `dir`, or undefined when nothing was recorded there. */
export async function readStackRecord(
  dir: string,
): Promise<{ record: StackRecord; secrets: StackSecrets } | undefined> {
  const read = async <T>(file: string, schema: z.ZodType<T>): Promise<T | undefined> => {
    const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (text === undefined) return undefined;
    const parsed = schema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      throw new ConfigError(
        parsed.error.issues.map((i) => `${file}: ${i.path.join('.')}: ${i.message} (remove it if no stack is up)`),
      );
    }
    return parsed.data;
  };
  const record = await read(stackRecordFile(dir), StackRecord);
  if (!record) return undefined;
  const secrets = await read(secretsFile(dir), StackSecrets);
  if (!secrets) throw new ConfigError([`${secretsFile(dir)} is missing beside ${stackRecordFile(dir)}`]);
  return { record, secrets };
}

export async function removeStackRecord(dir: string): Promise<void> {
  await Promise.all([stackRecordFile(dir), secretsFile(dir)].map((f) => rm(f, { force: true })));
}
