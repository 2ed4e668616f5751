import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelshipError } from '../shared/errors.js';
import { newReleaseSecrets, releaseFunctionsEnv, type LocalReleaseOptions } from './local-release.js';
import { startLocalStack, type LocalStack } from './stack.js';
import { processId, stillRunning } from './process-start.js';
import { readStackRecord, removeStackRecord, writeStackRecord, type StackRecord } from './stack-record.js';

export type LocalUpOptions = Pick<
  LocalReleaseOptions,
  'dir' | 'ports' | 'runtime' | 'scenario' | 'durationS' | 'users' | 'functionsEnv' | 'print'
>;

export interface LocalUp {
  stack: LocalStack;
  record: StackRecord;
  /** DIR/env: `export NAME='value'` lines, for `source`. */
  envFile: string;
  /** Stops everything the stack started and removes what it recorded. */
  stop(): Promise<void>;
}

/**
 * `modelship local up`: the local stack, started and left running, recorded in DIR for the commands run beside it.
 * DIR/env points the real clients at it: Google's client libraries (the emulator hosts), gcloud (its Pub/Sub
 * endpoint, which the SDK's emulator answers without credentials), kubectl (an administrator's kubeconfig) and
 * modelship's own commands (`runs`, `redeploy`).
 */
export async function startLocalUp(o: LocalUpOptions): Promise<LocalUp> {
  const previous = await readStackRecord(o.dir);
  if (previous && stillRunning(previous.record)) {
    throw new ModelshipError(`a local stack is already up in ${o.dir} (process ${previous.record.pid})`, {
      hint: `stop it with 'modelship local down --dir ${o.dir}', or pick another --dir`,
    });
  }
  if (previous) o.print(`  ! removed the record of a stack that is gone (process ${previous.record.pid})`);
  await removeStackRecord(o.dir);
  const secrets = newReleaseSecrets();
  const stack = await startLocalStack({
    dir: o.dir,
    ...(o.ports ? { ports: o.ports } : {}),
    ...(o.runtime ? { runtime: o.runtime } : {}),
    functionsEnv: releaseFunctionsEnv(o, secrets),
    onStep: (s) => o.print(`  … ${s}`),
  });
  const envFile = join(o.dir, 'env');
  const kubeconfig = join(o.dir, 'kubeconfig');
  const stop = async () => {
    await Promise.all([removeStackRecord(o.dir), rm(envFile, { force: true }), rm(kubeconfig, { force: true })]);
    await stack.stop();
  };
  try {
    const releases = stack.bake?.releases;
    const kubernetes = stack.deploy?.kubernetes;
    if (!releases || !kubernetes) throw new Error('the local stack serves no bakeModel or deployScenario');
    const namespace = stack.deploy?.env.K8S_NAMESPACE ?? 'default';
    await writeFile(kubeconfig, kubernetes.kubeConfig(namespace).exportConfig(), { mode: 0o600 });
    const pubsub = stack.env.PUBSUB_EMULATOR_HOST as string;
    const env = {
      ...stack.env,
      K8S_NAMESPACE: namespace,
      KUBECONFIG: kubeconfig,
      // gcloud: the project, no credentials, and its Pub/Sub API at the emulator.
      CLOUDSDK_CORE_PROJECT: stack.project,
      CLOUDSDK_AUTH_DISABLE_CREDENTIALS: 'true',
      CLOUDSDK_API_ENDPOINT_OVERRIDES_PUBSUB: `http://${pubsub}/`,
    };
    await writeFile(envFile, envLines(env).join('\n') + '\n');
    const record: StackRecord = {
      ...processId(process.pid),
      startedAt: new Date().toISOString(),
      project: stack.project,
      runtime: stack.runtime,
      namespace,
      functionsUrl: stack.functionsUrl,
      github: { apiUrl: releases.apiUrl, serverUrl: releases.serverUrl },
      addresses: {
        pubsub,
        firestore: stack.env.FIRESTORE_EMULATOR_HOST as string,
        functions: stack.functionsUrl,
        releases: releases.serverUrl,
        kubernetes: kubernetes.url,
        cloudbuild: stack.bake?.cloudBuild.host ?? '',
        ...(stack.loadTests ? { run: stack.loadTests.env.CLOUD_RUN_EMULATOR_HOST ?? '' } : {}),
        ...(stack.images ? { registry: stack.images.registry } : {}),
      },
      env,
      kubeconfig,
      logDir: stack.logDir,
    };
    await writeStackRecord(o.dir, record, secrets);
    return { stack, record, envFile, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** `export NAME='value'` lines, quoted for a POSIX shell. */
export function envLines(env: Record<string, string>): string[] {
  return Object.entries(env).map(([k, v]) => `export ${k}='${v.replaceAll("'", `'\\''`)}'`);
}
