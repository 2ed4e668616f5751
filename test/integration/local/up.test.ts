import { execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { sampleReleaseTarball } from '../../../local/release-tarball.js';
import { StackRecord } from '../../../local/stack-record.js';
import { waitUntil } from '../../../local/wait-until.js';
import { DEFAULT_SCENARIO, objectNames } from '../../../shared/deploy/index.js';
import { distPath } from '../../../shared/paths.js';
import { newRunId } from '../../../shared/run-id.js';
import { tempDir } from '../../support/temp-dir.js';
import { descendants, runningNow } from '../../support/process-tree.js';

/**
 * `modelship local up` as a person runs it, in a process of its own, with the real clients pointed at it by the
 * DIR/env it writes: a release sent to it with `modelship local release`, a redeploy of the baked image published
 * with the real gcloud to the SDK's Pub/Sub emulator, its rollout seen by the real kubectl, the run read with
 * `modelship runs show --json`; then SIGTERM stops every process it started. In process mode (the pods and the load
 * test are processes of this machine): container mode builds its own images, which adds minutes and nothing this
 * test checks.
 */

vi.setConfig({ testTimeout: 600_000 });

const CLI = distPath('cli/main.js');
const dir = tempDir('modelship-up-');
const cloudsdk = tempDir('modelship-up-gcloud-');

type Result = { code: number; stdout: string; stderr: string };
/** A command run without blocking this process; its output is kept for the assertion messages. */
const run = (file: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Result> =>
  new Promise((resolve) => {
    execFile(file, args, { env, timeout: 300_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });

/** DIR/env, as `source` reads it: `export NAME='value'` lines. */
const sourced = (file: string): Record<string, string> =>
  Object.fromEntries(
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => /^export (\w+)='(.*)'$/.exec(line) as RegExpExecArray)
      .map(([, name, value]) => [name, (value as string).replaceAll(`'\\''`, "'")]),
  );

const up = spawn(
  process.execPath,
  [CLI, 'local', 'up', '--dir', dir, '--ports', 'auto', '--runtime', 'processes', '--duration', '2s', '--users', '5'],
  // The shared machine's own load is in every latency: the gate's p99 bound is not what this test judges.
  { env: { ...process.env, GATE_P99_BOUND_MS: '60000' }, stdio: ['ignore', 'pipe', 'pipe'] },
);
const upOut: string[] = [];
const upExited = new Promise<number | null>((resolve) => up.once('exit', (code) => resolve(code)));
const ready = new Promise<string>((resolve, reject) => {
  createInterface({ input: up.stdout }).on('line', (line) => {
    upOut.push(line);
    if (line.startsWith('ready: ')) resolve(line);
  });
  createInterface({ input: up.stderr }).on('line', (line) => upOut.push(line));
  void upExited.then((code) =>
    reject(new Error(`local up exited (${code}) before it was ready:\n${upOut.join('\n')}`)),
  );
});
afterAll(async () => {
  if (up.exitCode === null && up.signalCode === null) up.kill('SIGTERM');
  await upExited;
});

describe('modelship local up', () => {
  it('takes a release, a redeploy published with gcloud, kubectl and runs show; SIGTERM leaves no process', async () => {
    await ready;
    const record = StackRecord.parse(JSON.parse(readFileSync(join(dir, 'stack.json'), 'utf8')));
    expect(record.pid).toBe(up.pid);
    const env = { ...process.env, ...sourced(join(dir, 'env')) };
    expect(env).toMatchObject({
      GOOGLE_CLOUD_PROJECT: 'modelship-local',
      CLOUDSDK_CORE_PROJECT: 'modelship-local',
      CLOUDSDK_AUTH_DISABLE_CREDENTIALS: 'true',
      CLOUDSDK_API_ENDPOINT_OVERRIDES_PUBSUB: `http://${record.addresses.pubsub}/`,
      PUBSUB_EMULATOR_HOST: record.addresses.pubsub,
      KUBECONFIG: join(dir, 'kubeconfig'),
    });

    // The first image: a release of the sample model, sent to the stack that is up.
    const model = join(tempDir('modelship-up-model-'), 'saved_model.tar.gz');
    writeFileSync(model, await sampleReleaseTarball());
    const released = await run(process.execPath, [CLI, 'local', 'release', '--model', model, '--dir', dir], env);
    expect(released.code, released.stdout + released.stderr).toBe(0);
    expect(released.stdout).toContain(`to the stack up in ${dir}, process ${up.pid}`);
    const releaseRun = /following run (\S+)/.exec(released.stdout)?.[1] as string;
    const baked = JSON.parse(readFileSync(join(dir, 'runs', `${releaseRun}.json`), 'utf8')) as {
      candidates: Array<{ image: string }>;
    };
    const image = baked.candidates[0]?.image as string;
    expect(image).toMatch(/@sha256:[a-f0-9]{64}$/);

    // A redeploy of that image, published by hand with the real gcloud CLI to the SDK's emulator.
    const runId = newRunId();
    const message = {
      type: 'DeployRequested',
      version: 1,
      runId,
      scenario: DEFAULT_SCENARIO,
      image,
      requestedBy: 'redeploy',
    };
    const gcloudEnv = {
      ...env,
      CLOUDSDK_CONFIG: cloudsdk,
      CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
      CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: '1',
    };
    const published = await run(
      'gcloud',
      ['pubsub', 'topics', 'publish', 'deploy-requested', '--message', JSON.stringify(message)],
      gcloudEnv,
    );
    expect(published.code, published.stderr).toBe(0);
    expect(published.stdout).toMatch(/messageIds:\n- '\d+'/);

    // Its candidate's rollout, as the real kubectl sees it with DIR's kubeconfig.
    const deployment = objectNames('candidate', DEFAULT_SCENARIO).deployment;
    await waitUntil(
      `deployment ${deployment} to exist`,
      async () => ((await run('kubectl', ['get', 'deployment', deployment], env)).code === 0 ? true : undefined),
      { timeoutMs: 180_000, intervalMs: 500 },
    );
    const rollout = await run('kubectl', ['rollout', 'status', `deployment/${deployment}`, '--timeout=120s'], env);
    expect(rollout.stdout.trim().split('\n').at(-1), rollout.stderr).toBe(
      `deployment "${deployment}" successfully rolled out`,
    );

    // The run, read with modelship runs show --json until it has ended.
    const shown = await waitUntil(
      `run ${runId} to end`,
      async () => {
        const out = await run(process.execPath, [CLI, 'runs', 'show', runId, '--json'], env);
        expect(out.code, out.stderr).toBe(0);
        const view = JSON.parse(out.stdout) as {
          status: string;
          candidates: Array<{ scenario: string; image: string }>;
        };
        return view.status === 'running' ? undefined : view;
      },
      { timeoutMs: 240_000, intervalMs: 1000 },
    );
    expect(shown).toMatchObject({ status: 'succeeded', candidates: [{ scenario: DEFAULT_SCENARIO, image }] });

    // Its log entries, as Cloud Logging's labels."runId" filter shows them.
    const logs = await run(process.execPath, [CLI, 'local', 'logs', '--run', runId, '--dir', dir], env);
    expect(logs.code, logs.stderr).toBe(0);
    const entries = logs.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { message: string });
    expect(entries.map((e) => e.message)).toContain('run opened for a redeploy');

    // SIGTERM: every process the stack started, recorded or started since (pods, the load test), is gone.
    const ledger = JSON.parse(readFileSync(join(dir, 'processes.json'), 'utf8')) as { processes: { pid: number }[] };
    const recorded = ledger.processes.map((p) => p.pid);
    const started = [...new Set([...recorded, ...descendants(record.pid)])];
    expect(recorded.length).toBeGreaterThan(0);
    up.kill('SIGTERM');
    expect(await upExited, upOut.join('\n')).toBe(0);
    expect(started.filter(runningNow)).toEqual([]);
    expect(upOut.at(-1)).toBe('stopped: everything the local stack started is stopped');
    expect(() => readFileSync(join(dir, 'stack.json'))).toThrow(/ENOENT/);
  });
});
