import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { parseOptions, UsageError } from '../shared/command-line.js';
import { ConfigError } from '../shared/errors.js';
import { measuredDeploymentProblems, type MeasuredDeployment } from '../shared/measured-deployment.js';
import { formatDuration, parseDuration } from './duration.js';
import { validateClosed, type ClosedConfig } from './models/closed.js';
import { constantRate, validateOpen, type OpenConfig } from './models/open.js';
import type { CapacityConfig } from './capacity-search.js';
import type { Stage } from './models/schedule.js';
import { H2_CLIENTS, type H2Client } from './senders/create-sender.js';
import { notATarget, parseTarget, type Target } from './senders/target.js';
import { parseRatio, parseThreshold, type Threshold } from './thresholds.js';

/** One option: its flag, the environment variable the Cloud Run job reads it from, its default and its help. */
export interface OptionRow {
  readonly flag: string;
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  readonly fallback?: string;
  /**
   * The most it accepts, as written (a count, a rate or a duration): every run must end, and a slip of the keyboard
   * (--users 1500000, --duration 50h) must not hold the target or the machine for days.
   */
  readonly max?: string;
  readonly help: string;
}

/** The table behind `modelship loadtest`, the job entry and docs/loadtest.md. Env: MODELSHIP_ + FLAG_IN_CAPS. */
export const OPTION_ROWS: readonly OptionRow[] = [
  {
    flag: 'target',
    type: 'string',
    help: 'host:port or [ipv6]:port; dns:///host:port spreads channels over every address',
  },
  { flag: 'protocol', type: 'string', fallback: 'grpc', help: 'grpc (port 8500) or rest (port 8501)' },
  { flag: 'model', type: 'string', fallback: 'resnet', help: 'model name' },
  { flag: 'signature', type: 'string', fallback: 'serving_default', help: 'signature name' },
  { flag: 'version', type: 'string', help: 'model version (default: the latest)' },
  { flag: 'image', type: 'string', help: 'build the input tensor from this image file' },
  { flag: 'request', type: 'string', help: 'send this file: a serialized PredictRequest (grpc) or JSON body (rest)' },
  { flag: 'batch', type: 'string', max: '1024', fallback: '1', help: 'batch size of a random or image input' },
  { flag: 'users', type: 'string', max: '10000', help: 'closed model: number of users (Locust-compatible)' },
  { flag: 'spawn-rate', type: 'string', fallback: '1', help: 'closed model: users started per second' },
  { flag: 'think-time', type: 'string', fallback: '0s', help: 'closed model: wait after each reply' },
  { flag: 'rate', type: 'string', max: '1000000', help: 'open model: requests per second, sent on schedule' },
  {
    flag: 'stages',
    type: 'string',
    help: 'open model: DURATION:RATE,... ramps (30s:50,1m:200,30s:0), within the limits of --duration and --rate',
  },
  {
    flag: 'max-in-flight',
    type: 'string',
    max: '100000',
    fallback: '1000',
    help: 'open model: cap on requests in flight',
  },
  { flag: 'duration', type: 'string', max: '24h', help: 'how long to run (with --users or --rate), e.g. 5m' },
  { flag: 'warmup', type: 'string', fallback: '0s', help: 'first part of the run, excluded from statistics' },
  { flag: 'timeout', type: 'string', max: '10m', fallback: '30s', help: 'deadline of each request' },
  {
    flag: 'connect-timeout',
    type: 'string',
    max: '1h',
    fallback: '120s',
    help: 'retry the first call this long while the target cannot be reached (0: once)',
  },
  {
    flag: 'stop-on-failure-ratio',
    type: 'string',
    fallback: '0.2',
    help: 'stop and fail when failures/requests passes this (a capacity search: only when given)',
  },
  {
    flag: 'channels',
    type: 'string',
    max: '1000',
    fallback: '1',
    help: 'HTTP/2 connections (grpc), spread over workers',
  },
  {
    flag: 'h2',
    type: 'string',
    fallback: 'raw',
    help: "gRPC's HTTP/2 client: raw (the built-in one) or node (node:http2)",
  },
  {
    flag: 'find-capacity',
    type: 'boolean',
    help: 'open model: search the most req/s held within --p99-bound; --rate starts, --duration is each probe',
  },
  { flag: 'p99-bound', type: 'string', help: 'with --find-capacity: the p99 a probe must hold, e.g. 200ms' },
  { flag: 'errors-bound', type: 'string', fallback: '1%', help: 'with --find-capacity: the errors a probe may have' },
  {
    flag: 'max-probes',
    type: 'string',
    max: '20',
    fallback: '8',
    help: 'with --find-capacity: the most probes to run; times --duration, within the --duration limit',
  },
  { flag: 'workers', type: 'string', max: '256', help: 'worker threads (default: one per core; 0 = main thread)' },
  { flag: 'threshold', type: 'string', multiple: true, help: "pass/fail: 'p99<500ms', 'errors<1%', 'rps>100'" },
  { flag: 'out', type: 'string', help: 'write summary.json, CSVs and report.html here' },
  { flag: 'csv-prefix', type: 'string', fallback: 'loadtest', help: 'CSV names: PREFIX_stats.csv, ...' },
  { flag: 'scenario', type: 'string', help: 'label of this run (the serving scenario)' },
  {
    flag: 'deployment',
    type: 'string',
    help: 'JSON: what was measured (scenario parameters, image, run, release); the pipeline sets it',
  },
  {
    flag: 'progress',
    type: 'string',
    fallback: 'auto',
    help: 'auto, line (terminal), log (JSON every 10s), off (the result is still printed)',
  },
];

const maxOf = (flag: string): string | undefined => OPTION_ROWS.find((r) => r.flag === flag)?.max;
const MAX_DURATION_MS = parseDuration(maxOf('duration')!)!;
const MAX_RATE = Number(maxOf('rate'));

export const envName = (flag: string): string => `MODELSHIP_${flag.replace(/-/g, '_').toUpperCase()}`;

export type Progress = 'line' | 'log' | 'off' | 'auto';
export type RequestInput = { kind: 'random' } | { kind: 'image'; file: string } | { kind: 'request'; file: string };

export interface LoadTestOptions {
  readonly target: Target;
  readonly protocol: 'grpc' | 'rest';
  readonly model: string;
  readonly signature: string;
  readonly version: number | undefined;
  readonly input: RequestInput;
  readonly batch: number;
  readonly load: OpenConfig | ClosedConfig;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly timeoutMs: number;
  /** How long the first call is retried while the target cannot be reached, before the clock starts. */
  readonly connectTimeoutMs: number;
  readonly stopOnFailureRatio: number | undefined;
  readonly channels: number;
  readonly h2: H2Client;
  readonly workers: number;
  readonly thresholds: readonly Threshold[];
  /** --find-capacity: run a capacity search of constant-rate probes instead of one run. */
  readonly capacity: CapacityConfig | undefined;
  readonly out: string | undefined;
  readonly csvPrefix: string;
  readonly scenario: string | undefined;
  /** What was measured, as the pipeline knows it; copied into summary.json. */
  readonly deployment: MeasuredDeployment | undefined;
  readonly progress: Progress;
}

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** Values from parseArgs, then the environment, then the defaults: every problem is listed at once. */
export function loadTestOptions(values: Values, env: NodeJS.ProcessEnv = {}): LoadTestOptions {
  const problems: string[] = [];
  const raw = (flag: string): string | undefined => {
    const value = values[flag];
    if (typeof value === 'string') return value;
    const row = OPTION_ROWS.find((r) => r.flag === flag);
    return env[envName(flag)] ?? row?.fallback;
  };
  const number = (flag: string, check: (n: number) => boolean, expected: string): number | undefined => {
    const text = raw(flag);
    if (text === undefined) return undefined;
    const n = Number(text);
    const max = maxOf(flag);
    if (text.trim() === '' || !check(n)) problems.push(`--${flag}: expected ${expected}, found '${text}'`);
    else if (max !== undefined && n > Number(max)) problems.push(`--${flag}: expected at most ${max}, found '${text}'`);
    return n;
  };
  const duration = (flag: string): number | undefined => {
    const text = raw(flag);
    if (text === undefined) return undefined;
    const ms = parseDuration(text);
    const max = maxOf(flag);
    if (ms === undefined) problems.push(`--${flag}: expected a duration such as 30s, 5m or 250ms, found '${text}'`);
    else if (max !== undefined && ms > parseDuration(max)!)
      problems.push(`--${flag}: expected at most ${max}, found '${text}'`);
    return ms;
  };
  const isCount = (n: number): boolean => Number.isInteger(n) && n >= 1;
  const isWhole = (n: number): boolean => Number.isInteger(n) && n >= 0;

  const targetText = raw('target');
  const target = targetText === undefined ? '--target: required (host:port of TF Serving)' : parseTarget(targetText);
  if (typeof target === 'string') problems.push(target);
  const protocol = raw('protocol');
  if (protocol !== 'grpc' && protocol !== 'rest')
    problems.push(`--protocol: expected grpc or rest, found '${protocol}'`);
  const version = number('version', isWhole, 'a version number');
  const image = raw('image');
  const requestFile = raw('request');
  if (image !== undefined && requestFile !== undefined)
    problems.push('--image and --request: give one of them, not both');
  const input: RequestInput = image
    ? { kind: 'image', file: image }
    : requestFile
      ? { kind: 'request', file: requestFile }
      : { kind: 'random' };

  const durationText = raw('duration');
  const durationMs = duration('duration');
  const stagesText = raw('stages');
  const users = number('users', () => true, '');
  const rate = number('rate', (n) => n > 0 && Number.isFinite(n), 'requests per second > 0');
  const chosen = [
    users !== undefined && '--users',
    rate !== undefined && '--rate',
    stagesText !== undefined && '--stages',
  ].filter(Boolean);
  let load: OpenConfig | ClosedConfig | undefined;
  if (chosen.length !== 1) {
    problems.push(
      `load: expected one of --users (closed), --rate or --stages (open), found ${chosen.length ? chosen.join(' and ') : 'none'}`,
    );
  } else if (stagesText !== undefined) {
    if (durationText !== undefined) problems.push('--duration: not with --stages (the stages set the duration)');
    const stages = parseStages(stagesText, problems);
    load = { kind: 'open', stages, maxInFlight: number('max-in-flight', isCount, 'an integer >= 1') ?? 0 };
  } else if (durationMs === undefined) {
    problems.push(`--duration: required with ${chosen[0]}`);
  } else if (rate !== undefined) {
    const stages = constantRate(rate, durationMs);
    load = { kind: 'open', stages, maxInFlight: number('max-in-flight', isCount, 'an integer >= 1') ?? 0 };
  } else {
    const spawnRate = number('spawn-rate', (n) => n > 0, 'users per second > 0') ?? 0;
    load = { kind: 'closed', users: users ?? 0, spawnRate, thinkTimeMs: duration('think-time') ?? 0, durationMs };
  }
  if (load) problems.push(...(load.kind === 'open' ? validateOpen(load) : validateClosed(load)));
  const totalMs = load?.kind === 'open' ? load.stages.reduce((sum, s) => sum + s.durationMs, 0) : (durationMs ?? 0);
  if (stagesText !== undefined && load?.kind === 'open') {
    if (totalMs > MAX_DURATION_MS)
      problems.push(`--stages: expected at most ${maxOf('duration')} in all, found ${formatDuration(totalMs)}`);
    if (load.stages.some((stage) => stage.rate > MAX_RATE))
      problems.push(`--stages: expected rates of at most ${maxOf('rate')} req/s, found '${stagesText}'`);
  }
  const warmupMs = duration('warmup') ?? 0;
  if (load && warmupMs >= totalMs)
    problems.push(`--warmup: expected less than the run's ${totalMs / 1000}s, found ${warmupMs / 1000}s`);
  const timeoutMs = duration('timeout') ?? 0;
  if (timeoutMs <= 0) problems.push('--timeout: expected a duration > 0');
  const connectTimeoutMs = duration('connect-timeout') ?? 0;

  const given = values['threshold'];
  const thresholdTexts = Array.isArray(given) ? given.map(String) : (env[envName('threshold')]?.split(',') ?? []);
  const thresholds: Threshold[] = [];
  for (const text of thresholdTexts) {
    const parsed = parseThreshold(text);
    if (typeof parsed === 'string') problems.push(parsed);
    else thresholds.push(parsed);
  }
  const progress = raw('progress');
  if (!['auto', 'line', 'log', 'off'].includes(progress ?? ''))
    problems.push(`--progress: expected auto, line, log or off, found '${progress}'`);
  const workers = number('workers', isWhole, 'an integer >= 0') ?? availableParallelism();
  const channels = number('channels', isCount, 'an integer >= 1') ?? 1;
  const h2 = raw('h2');
  if (!H2_CLIENTS.includes(h2 as H2Client)) problems.push(`--h2: expected raw or node, found '${h2}'`);
  const batch = number('batch', isCount, 'an integer >= 1') ?? 1;

  const capacity = capacityConfig(values, raw, duration, number, problems);
  if (capacity && rate === undefined)
    problems.push('--find-capacity: expected --rate (the first probe) and --duration');
  if (capacity && capacity.maxProbes * totalMs > MAX_DURATION_MS)
    problems.push(
      `--max-probes: expected probes of --duration lasting at most ${maxOf('duration')} in all, found ${capacity.maxProbes} x ${formatDuration(totalMs)}`,
    );
  // A capacity search judges each probe's errors against --errors-bound: the default would end the search at the
  // first probe past the capacity, the one it needs to find it.
  const ratioGiven =
    values['stop-on-failure-ratio'] !== undefined || env[envName('stop-on-failure-ratio')] !== undefined;
  const ratio =
    capacity && !ratioGiven ? undefined : number('stop-on-failure-ratio', (n) => n > 0 && n <= 1, 'a ratio in (0, 1]');

  const deployment = deploymentOf(raw('deployment'), problems);

  if (problems.length > 0 || !load || typeof target === 'string') throw new ConfigError(problems);
  return {
    target,
    protocol: protocol as 'grpc' | 'rest',
    model: raw('model') ?? 'resnet',
    signature: raw('signature') ?? 'serving_default',
    version,
    input,
    batch,
    load,
    durationMs: totalMs,
    warmupMs,
    timeoutMs,
    connectTimeoutMs,
    stopOnFailureRatio: ratio,
    channels,
    h2: h2 as H2Client,
    workers,
    thresholds,
    capacity,
    out: raw('out'),
    csvPrefix: raw('csv-prefix') ?? 'loadtest',
    scenario: raw('scenario'),
    deployment,
    progress: progress as Progress,
  };
}

/** --deployment: the JSON the pipeline passes (shared/measured-deployment.ts), checked before use. */
function deploymentOf(text: string | undefined, problems: string[]): MeasuredDeployment | undefined {
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    problems.push(`--deployment: expected JSON, found '${text.slice(0, 80)}' (${(err as Error).message})`);
    return undefined;
  }
  const found = measuredDeploymentProblems(parsed);
  problems.push(...found.map((p) => `--deployment: ${p}`));
  return found.length === 0 ? (parsed as MeasuredDeployment) : undefined;
}

/** The capacity search's settings, or undefined without --find-capacity. */
function capacityConfig(
  values: Values,
  raw: (flag: string) => string | undefined,
  duration: (flag: string) => number | undefined,
  number: (flag: string, check: (n: number) => boolean, expected: string) => number | undefined,
  problems: string[],
): CapacityConfig | undefined {
  const flag = values['find-capacity'] ?? raw('find-capacity');
  if (flag !== true && flag !== 'true') return undefined;
  const p99BoundMs = duration('p99-bound');
  if (p99BoundMs === undefined || p99BoundMs <= 0)
    problems.push('--p99-bound: required with --find-capacity, a duration > 0 such as 200ms');
  const errorsText = raw('errors-bound') ?? '';
  const errorsBound = parseRatio(errorsText);
  if (errorsBound === undefined)
    problems.push(`--errors-bound: expected a ratio such as 1% or 0.01, found '${errorsText}'`);
  const maxProbes = number('max-probes', (n) => Number.isInteger(n) && n >= 1, 'an integer >= 1') ?? 8;
  const startRps = Number(raw('rate'));
  return { p99BoundMs: p99BoundMs ?? 0, errorsBound: errorsBound ?? 0, startRps, maxProbes };
}

function parseStages(text: string, problems: string[]): Stage[] {
  return text.split(',').map((part, i) => {
    const [durationText = '', rateText = ''] = part.split(':');
    const durationMs = parseDuration(durationText);
    const rate = Number(rateText);
    if (durationMs === undefined || rateText.trim() === '' || !Number.isFinite(rate) || rate < 0) {
      problems.push(`--stages: stage ${i + 1} '${part}': expected DURATION:RATE such as 30s:50`);
      return { durationMs: 0, rate: 0 };
    }
    return { durationMs, rate };
  });
}

/**
 * The values of `modelship loadtest ARGS`. A value that starts with '-' (`--target --help`) is refused, never read
 * as the next option; such a value is written --flag=-value.
 */
export function parseLoadTestArgs(argv: readonly string[]): Values {
  const options = parseArgsOptions();
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind !== 'option' || token.inlineValue !== false || !token.value?.startsWith('-')) continue;
    const { name, value } = token;
    throw new UsageError(
      name === 'target'
        ? notATarget(value)
        : `--${name} needs a value, got the option '${value}' (a value that starts with - is written --${name}=${value})`,
    );
  }
  return parseOptions(argv, options).values;
}

/** node:util parseArgs options built from the table. */
export function parseArgsOptions(): Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> {
  return Object.fromEntries(
    OPTION_ROWS.map((r) => [r.flag, { type: r.type, ...(r.multiple ? { multiple: true } : {}) }]),
  );
}

export function optionsHelp(): string {
  const width = Math.max(...OPTION_ROWS.map((r) => r.flag.length)) + 8;
  return OPTION_ROWS.map((r) => {
    const flag = `  --${r.flag} ${r.type === 'string' ? 'V' : ''}`.padEnd(width);
    const max = r.max !== undefined ? ` (at most ${r.max})` : '';
    return `${flag} ${r.help}${max}${r.fallback !== undefined ? ` [${r.fallback}]` : ''}`;
  }).join('\n');
}
