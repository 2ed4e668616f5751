import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Firestore } from '@google-cloud/firestore';
import type { KubeConfig } from '@kubernetes/client-node';
import { createKubeClient, DEFAULT_SCENARIO, objectNames } from '../shared/deploy/index.js';
import { signBody } from '../shared/github/signature.js';
import { ModelshipError } from '../shared/errors.js';
import { candidateLines, formatMs } from '../operator/run-view.js';
import { runRecord } from '../operator/run-record.js';
import type { RunRecord } from '../shared/store.js';
import { followRun } from '../operator/follow-run.js';
import { publishRelease, releaseNotes, type GitHubAccess } from './publish-release.js';
import { releasePayload } from './release-payload.js';
import { startLocalStack, type LocalStack, type StackOptions } from './stack.js';
import { logLine, runLog } from './run-log.js';

/** The owner of every local release's repository on the stand-in GitHub; the stack allows all of its repositories. */
const LOCAL_OWNER = 'modelship';
/** The sample model's repository (npm start, and `local release` without --model). */
export const LOCAL_REPOSITORY = `${LOCAL_OWNER}/sample-model`;

/** A local release's repository, named after the model: `--model ~/models/resnet50/1` → modelship/resnet50. */
export function localRepository(modelPath: string): string {
  const parts = modelPath.replace(/[\\/]+$/, '').split(/[\\/]/);
  // A version directory (1/) or a tarball names its model by its parent or its own name.
  const last = parts.at(-1)?.replace(/\.(tar\.gz|tgz|tar)$/i, '') ?? '';
  const name = (/^\d+$/.test(last) ? parts.at(-2) : last)
    ?.replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
  return `${LOCAL_OWNER}/${name || 'model'}`;
}

export interface LocalReleaseOptions extends Pick<
  StackOptions,
  'dir' | 'ports' | 'emulatorHosts' | 'project' | 'runtime' | 'images'
> {
  /** The release asset: a SavedModel tarball. */
  tarball: Buffer;
  /** The release's repository on the stand-in GitHub (default LOCAL_REPOSITORY, the sample model's). */
  repository?: string;
  tag?: string;
  /** Releases published after the first one's run has ended, on the same stack (the demo's second release). */
  then?: ReadonlyArray<{ tag: string; tarball: Buffer }>;
  /** The candidate scenarios, comma separated (DEPLOY_SCENARIOS). */
  scenario?: string;
  durationS?: number;
  users?: number;
  thresholds?: string[];
  /** More configuration of the functions (a test's SCENARIOS_DIR, say). */
  functionsEnv?: Record<string, string>;
  /** Grants taken away from the plan the stack enforces (tests of what fails without them). */
  revoke?: StackOptions['revoke'];
  /** How often the same webhook delivery is sent (GitHub redelivers by hand; a duplicate must change nothing). */
  deliveries?: number;
  /** Runs before each delivery, numbered from 0 (fault-injection tests: the webhook's host down, then back). */
  beforeDelivery?: (attempt: number) => Promise<void>;
  print: (line: string) => void;
  timeoutMs?: number;
  /** Ctrl-C: stop following; everything the stack started is stopped on the way out. */
  signal?: AbortSignal;
  /** Sees the stack as soon as it is up, before the release is sent (fault-injection tests). */
  onStack?: (stack: LocalStack) => void;
}

export interface LocalReleaseResult {
  /** 0 when every run succeeded. */
  code: number;
  /** The last run. */
  run?: RunRecord;
  /** Every run, in the order of the releases. */
  runs: RunRecord[];
  stack?: LocalStack;
  /** Where more releases go to the stack handed over (`sendReleases`), with the secrets it was started with. */
  target?: ReleaseTarget;
  /** The release notes modelship wrote on the stand-in for GitHub. */
  notes?: string;
  /** The image the serving Deployment runs once the last run has ended, as the cluster has it. */
  serving?: string;
}

const seconds = (since: number) => formatMs(performance.now() - since);

/** The secrets a stack's releases are sent with: the webhook's, and the token that publishes on the stand-in GitHub. */
export interface ReleaseSecrets {
  webhookSecret: string;
  githubToken: string;
}

export const newReleaseSecrets = (): ReleaseSecrets => ({
  webhookSecret: randomBytes(32).toString('hex'),
  githubToken: randomBytes(20).toString('hex'),
});

/** The functions' configuration for local releases: the secrets, the sample repository, the candidates and load test. */
export function releaseFunctionsEnv(
  o: Pick<LocalReleaseOptions, 'scenario' | 'users' | 'durationS' | 'thresholds' | 'functionsEnv'>,
  secrets: ReleaseSecrets,
): Record<string, string> {
  return {
    GITHUB_WEBHOOK_SECRET: secrets.webhookSecret,
    ALLOWED_REPOSITORIES: `${LOCAL_OWNER}/*`,
    GITHUB_TOKEN: secrets.githubToken,
    DEPLOY_SCENARIOS: o.scenario ?? DEFAULT_SCENARIO,
    LOAD_TEST_USERS: String(o.users ?? 20),
    LOAD_TEST_SPAWN_RATE: String(o.users ?? 20),
    LOAD_TEST_THINK_TIME_MS: '100',
    LOAD_TEST_DURATION_S: String(o.durationS ?? 10),
    LOAD_TEST_THRESHOLDS: (o.thresholds ?? ['errors<1%']).join(','),
    // One machine: tasks would only share its cores. loadtest-tasks.test.ts runs several through the emulator.
    LOAD_TEST_MAX_TASKS: '1',
    ...o.functionsEnv,
  };
}

/**
 * Where releases are sent: a local stack, started in this process (`runLocalRelease`) or by `modelship local up` in
 * another one (local/attached-stack.ts), by its addresses: one way of sending for both.
 */
export interface ReleaseTarget {
  functionsUrl: string;
  github: GitHubAccess;
  webhookSecret: string;
  firestore: Firestore;
  logDir: string;
  /** The cluster, as its administrator (the serving image is read there). */
  kubeConfig?: KubeConfig;
  /** The calls IAM refused, one line per kind: known only in the process that runs the stack. */
  refusals?: () => string[];
}

/** What sending releases needs of LocalReleaseOptions (the stack's own options aside). */
export type SendOptions = Pick<
  LocalReleaseOptions,
  | 'dir'
  | 'tarball'
  | 'repository'
  | 'tag'
  | 'then'
  | 'scenario'
  | 'deliveries'
  | 'beforeDelivery'
  | 'print'
  | 'timeoutMs'
  | 'signal'
> & { namespace?: string };

/** The target of a stack started in this process. */
export function stackTarget(stack: LocalStack, secrets: ReleaseSecrets): ReleaseTarget {
  const releases = stack.bake?.releases;
  if (!releases) throw new Error('the local stack has no release server');
  const kubeConfig = stack.deploy?.kubernetes.kubeConfig();
  return {
    functionsUrl: stack.functionsUrl,
    github: { apiUrl: releases.apiUrl, serverUrl: releases.serverUrl, token: secrets.githubToken },
    webhookSecret: secrets.webhookSecret,
    firestore: stack.firestore,
    logDir: stack.logDir,
    ...(kubeConfig ? { kubeConfig } : {}),
    refusals: () => refusals(stack),
  };
}

/**
 * `modelship local release` and `npm start`: the whole pipeline on this machine. The local stack comes up, a
 * release with the model as its asset is published on the stand-in for GitHub, the signed webhook is sent, and the
 * run is followed stage by stage until it is reported. Exit code 0 only when the run succeeded.
 * `keep` leaves the stack running for the caller (tests read the emulators afterwards) and must stop it.
 */
export async function runLocalRelease(o: LocalReleaseOptions, keep = false): Promise<LocalReleaseResult> {
  const t0 = performance.now();
  const secrets = newReleaseSecrets();
  const stack = await startLocalStack({
    dir: o.dir,
    ...(o.ports ? { ports: o.ports } : {}),
    ...(o.emulatorHosts ? { emulatorHosts: o.emulatorHosts } : {}),
    ...(o.project ? { project: o.project } : {}),
    ...(o.runtime ? { runtime: o.runtime } : {}),
    ...(o.images ? { images: o.images } : {}),
    ...(o.revoke ? { revoke: o.revoke } : {}),
    functionsEnv: releaseFunctionsEnv(o, secrets),
    onStep: (s) => o.print(`  … ${s}`),
  });
  let handedOver = false;
  o.onStack?.(stack);
  try {
    o.print(`  ✓ local stack up in ${seconds(t0)}; functions at ${stack.functionsUrl}; logs in ${stack.logDir}`);
    const namespace = o.functionsEnv?.K8S_NAMESPACE;
    const target = stackTarget(stack, secrets);
    const result = await sendReleases(target, { ...o, ...(namespace ? { namespace } : {}) }, t0);
    handedOver = keep;
    return { ...result, ...(keep ? { stack, target } : {}) };
  } finally {
    if (!handedOver) await stack.stop();
  }
}

/**
 * The releases sent to a stack that is up, one after the other, each followed to its run's end; then the image that
 * serves. Code 0 when every run succeeded.
 */
export async function sendReleases(target: ReleaseTarget, o: SendOptions, t0: number): Promise<LocalReleaseResult> {
  const runs: RunRecord[] = [];
  let notes: string | undefined;
  for (const { tag, tarball } of [{ tag: o.tag ?? 'v1.0.0', tarball: o.tarball }, ...(o.then ?? [])]) {
    // An interrupt while the stack came up (minutes, the first time) or between two releases: release nothing more.
    o.signal?.throwIfAborted();
    const released = await releaseOnce(target, { ...o, tag, tarball }, t0);
    if (!released.run) return { code: 1, runs };
    runs.push(released.run);
    notes = released.notes || notes;
  }
  const code = runs.every((r) => r.status === 'succeeded') ? 0 : 1;
  const serving = await servingImage(target.kubeConfig, o.namespace);
  if (serving) o.print(`  serving: ${objectNames('serving', '').deployment} runs ${serving}`);
  // The verdict again, last: the notes and the troubles printed since may have scrolled it away.
  for (const r of runs.filter((r) => r.status !== 'succeeded')) o.print(`  ${failedLine(r)}`);
  return {
    code,
    run: runs.at(-1),
    runs,
    ...(notes ? { notes } : {}),
    ...(serving ? { serving } : {}),
  };
}

/** One release published, its webhook sent, its run followed to the end and written to DIR/runs/RUN_ID.json. */
async function releaseOnce(
  target: ReleaseTarget,
  o: SendOptions & { tag: string },
  t0: number,
): Promise<{ run?: RunRecord; notes?: string }> {
  const { print, tag } = o;
  const repository = o.repository ?? LOCAL_REPOSITORY;
  const { releaseId, asset } = await publishRelease(target.github, {
    repository,
    tag,
    asset: { name: 'saved_model.tar.gz', content: o.tarball },
  });
  const body = JSON.stringify(
    releasePayload({
      repository,
      tag,
      releaseId,
      asset,
      apiUrl: target.github.apiUrl,
      serverUrl: target.github.serverUrl,
    }),
  );
  const delivery = randomUUID();
  let runId: string | undefined;
  for (let i = 0; i < (o.deliveries ?? 1); i++) {
    await o.beforeDelivery?.(i);
    const res = await fetch(`${target.functionsUrl}/githubWebhook`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'release',
        'x-github-delivery': delivery,
        'x-hub-signature-256': signBody(body, target.webhookSecret),
      },
      body,
    });
    // A function that did not answer gets the router's 502 in plain text.
    const text = await res.text();
    const json = res.headers.get('content-type')?.includes('json');
    const answer = (json ? JSON.parse(text) : { error: text }) as { runId?: string };
    print(
      `  → release ${repository}@${tag} (${asset.size} bytes) sent to githubWebhook: HTTP ${res.status} ${JSON.stringify(answer)}`,
    );
    runId ??= answer.runId;
  }
  if (!runId) return {};

  const refused = () => target.refusals?.() ?? [];
  print(`  following run ${runId} (candidates ${o.scenario ?? DEFAULT_SCENARIO})`);
  const run = await followRun(target.firestore, runId, {
    print,
    timeoutMs: o.timeoutMs ?? 180_000,
    ...(o.signal ? { signal: o.signal } : {}),
  }).catch(async (err: Error) => {
    // A run that never ends is most often a step whose report was refused: say which, and what the steps logged.
    const why = [...refused(), ...(await troubles(target.logDir, runId))];
    throw new ModelshipError([err.message, ...why].join('\n'), { cause: err });
  });
  if (run.status === 'succeeded') print(`  ✓ run ${runId} succeeded in ${seconds(t0)}`);
  else print(`  ${failedLine(run)}`);
  candidateLines(run).forEach((line) => print(`    ${line}`));
  const buildLog = bakeLog(o.dir, run);
  // The emulator's log URL ends with the stack; its file stays.
  if (buildLog) {
    // Its end is the failed step's own words (crane's `Error: …`), which the build's status does not carry.
    const tail = (await readFile(buildLog, 'utf8')).trimEnd().split('\n').slice(-BUILD_LOG_TAIL);
    print(`    build log: ${buildLog}, its last ${tail.length} lines:`);
    tail.forEach((line) => print(`      ${line}`));
  } else if (run.failure?.detailsUrl) print(`    details: ${run.failure.detailsUrl}`);
  if (run.status !== 'succeeded') (await troubles(target.logDir, runId)).forEach((line) => print(`    ${line}`));
  const file = join(o.dir, 'runs', `${runId}.json`);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(runRecord(run), null, 2)}\n`);
  print(`    record: ${file}`);
  refused().forEach((line) => print(`    ${line}`));
  const notes = await releaseNotes(target.github, repository, releaseId);
  if (notes) {
    // The stand-in GitHub goes with the stack: the notes are printed and kept beside the run's record.
    const notesFile = join(o.dir, 'runs', `${runId}.notes.md`);
    await writeFile(notesFile, notes);
    print(`    release notes of ${repository}@${tag} (kept in ${notesFile}):`);
    notes.split('\n').forEach((line) => print(`      ${line}`));
  }
  return { run, ...(notes ? { notes } : {}) };
}

function failedLine(run: RunRecord): string {
  return `✗ run ${run.runId} failed at ${run.failure?.stage ?? '?'}: ${run.failure?.reason ?? run.status}`;
}

/** Lines of a failed bake's log printed with the run's verdict. */
const BUILD_LOG_TAIL = 8;

/** A failed bake's log as the local Cloud Build emulator keeps it (`DIR/cloudbuild/logs/BUILD_ID.log`). */
function bakeLog(dir: string, run: RunRecord): string | undefined {
  const buildId = run.failure?.stage === 'bake' ? run.stages.bake?.details?.buildId : undefined;
  const file = typeof buildId === 'string' ? join(dir, 'cloudbuild', 'logs', `${buildId}.log`) : undefined;
  return file && existsSync(file) ? file : undefined;
}

/** The image of the serving Deployment's pod template: what serves, whatever the run records say. */
export async function servingImage(
  kubeConfig: KubeConfig | undefined,
  namespace = 'default',
): Promise<string | undefined> {
  if (!kubeConfig) return undefined;
  const serving = await createKubeClient(kubeConfig).readDeployment(namespace, objectNames('serving', '').deployment);
  return serving?.spec?.template.spec?.containers[0]?.image;
}

/** At most this many of a failed run's warnings and errors are printed; the log keeps them all. */
const TROUBLES = 12;

/** The warnings and errors the functions logged for a run, last ones first cut: where a failure's cause is. */
async function troubles(logDir: string, runId: string): Promise<string[]> {
  const file = join(logDir, 'functions.log');
  const entries = await runLog(file, runId, 'WARNING');
  if (entries.length === 0) return [];
  const shown = entries.slice(-TROUBLES);
  const more = entries.length > shown.length ? `, the last ${shown.length} of ${entries.length}` : '';
  return [
    `what the functions logged for run ${runId} (warnings and errors${more}; all in ${file}):`,
    ...shown.map((e) => `  ${logLine(e)}`),
  ];
}

/** The calls IAM refused in this stack, one line per kind with its count: what a missing grant looks like. */
function refusals(stack: LocalStack): string[] {
  const counts = new Map<string, number>();
  for (const d of stack.iam.denials) {
    const line = `IAM refused ${d.member} ${d.permission || '(no rule)'} on ${d.resource || d.method} (${d.method})`;
    counts.set(line, (counts.get(line) ?? 0) + 1);
  }
  return [...counts].map(([line, n]) => (n > 1 ? `${line}, ${n} times` : line));
}
