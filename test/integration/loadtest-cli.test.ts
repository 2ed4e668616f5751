import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePredictResponse } from '../../shared/tfserving/codec.js';
import type { SignatureSpec } from '../../shared/tfserving/messages.js';
import { FAILURES_COLUMNS, HISTORY_COLUMNS, STATS_COLUMNS } from '../../loadtest/outputs/csv.js';
import { startEchoServer, type EchoServer } from '../../loadtest/testing/echo-server.js';
import { silentServers } from '../support/silent-servers.js';
import { distPath } from '../../shared/paths.js';
import { echoServers } from '../unit/loadtest/support.js';

const signatures: Record<string, SignatureSpec> = {
  serving_default: {
    name: 'serving_default',
    methodName: 'tensorflow/serving/predict',
    inputs: { x: { name: 'x', dtype: 'DT_FLOAT', shape: [-1, 4] } },
    outputs: { y: { name: 'y', dtype: 'DT_FLOAT', shape: [-1, 2] } },
  },
};
const goodReply = encodePredictResponse({
  outputs: { y: { dtype: 'DT_FLOAT', shape: [1, 2], floatVal: [0.25, 0.75] } },
});

const silent = silentServers();
const echoServer = echoServers();
let server: EchoServer;
let wrongShape: EchoServer;
let dir: string;
beforeAll(async () => {
  server = await startEchoServer({ latencyMs: 2, reply: goodReply, tfServing: { model: 'tiny', signatures } });
  const badReply = encodePredictResponse({ outputs: { y: { dtype: 'DT_FLOAT', shape: [1, 3], floatVal: [1, 2, 3] } } });
  wrongShape = await startEchoServer({ reply: badReply, tfServing: { model: 'tiny', signatures } });
  dir = await mkdtemp(join(tmpdir(), 'loadtest-cli-'));
});
afterAll(async () => {
  await Promise.all([server.stop(), wrongShape.stop()]);
  await rm(dir, { recursive: true, force: true });
});

/** Runs `modelship COMMAND ARGS` as a process, as built (npm test builds first): exit code and output. */
function modelship(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [distPath('cli/main.js'), command, ...args],
      { timeout: 30_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
const cli = (args: string[]) => modelship('loadtest', args);

const target = (s: EchoServer): string[] => [
  '--target',
  `127.0.0.1:${s.grpcPort}`,
  '--model',
  'tiny',
  '--workers',
  '0',
];
const quick = ['--rate', '50', '--duration', '1s', '--progress', 'off'];

describe('modelship loadtest', () => {
  it('exits 0 when every threshold passes and writes summary.json, the Locust CSVs and report.html', async () => {
    const out = join(dir, 'pass');
    const run = await cli([
      ...target(server),
      ...quick,
      '--threshold',
      'p99<5s',
      '--threshold',
      'errors<1%',
      '--out',
      out,
      '--scenario',
      'tiny-a',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    // --progress off: no progress, but the result.
    expect(run.stdout).not.toContain('loadtest: ');
    expect(run.stdout).toMatch(/^model {4}tiny, version .*, signature serving_default\n[\s\S]*^PASSED\n$/m);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ schema: 'modelship.loadtest.summary/v1', scenario: 'tiny-a', passed: true });
    expect(summary.requests.total).toBe(50);
    const header = async (name: string): Promise<string> =>
      (await readFile(join(out, `loadtest_${name}.csv`), 'utf8')).split('\n')[0]!;
    expect(await header('stats')).toBe(STATS_COLUMNS.join(','));
    expect(await header('stats_history')).toBe(HISTORY_COLUMNS.join(','));
    expect(await header('failures')).toBe(FAILURES_COLUMNS.join(','));
    expect(STATS_COLUMNS.slice(0, 4)).toEqual(['Type', 'Name', 'Request Count', 'Failure Count']);
    const stats = (await readFile(join(out, 'loadtest_stats.csv'), 'utf8')).trim().split('\n');
    expect(stats.at(-1)).toMatch(/^,Aggregated,50,0,/);
    expect(await readFile(join(out, 'report.html'), 'utf8')).toContain('<svg');
  });

  it('compares two runs of one scenario, told apart, in compare/ beside them', async () => {
    const runs = ['monday', 'tuesday'].map((day) => join(dir, 'runs', day));
    for (const out of runs)
      expect((await cli([...target(server), ...quick, '--out', out, '--scenario', 's'])).code).toBe(0);
    const compared = await modelship('compare', runs);
    expect(compared.code).toBe(0);
    expect(compared.stderr).toBe('');
    expect(compared.stdout).toMatch(/^s · monday\s+50\s+50\s+baseline\s/m);
    expect(compared.stdout).toMatch(/^s · tuesday\s+50\s+50\s+\+0\.0%\s/m);
    expect(compared.stdout).toContain(`wrote ${join(dir, 'runs', 'compare', 'compare.html')} and `);
    expect(await readFile(join(dir, 'runs', 'compare', 'compare.svg'), 'utf8')).toContain('<svg');
  });

  it('exits 1 and names the failed threshold', async () => {
    const run = await cli([...target(server), ...quick, '--threshold', 'p50<1us', '--progress', 'line']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('FAIL     p50<1us');
  });

  it.each([
    ['stops a run at the first second', '3s', 'the failure ratio 0\\.\\d+ passed --stop-on-failure-ratio 0\\.2\n'],
    [
      'fails a run shorter than a second',
      '500ms',
      'the failure ratio 0\\.500 passed --stop-on-failure-ratio 0\\.2 at the end of the run\n',
    ],
  ])('exits 1 when half the requests fail, by default: %s', async (_what, duration, stopped) => {
    // Its own server: the pre-flight Predict is the first request received, which never fails.
    const halfFailing = await echoServer({ failEvery: 2, reply: goodReply, tfServing: { model: 'tiny', signatures } });
    const run = await cli([...target(halfFailing), '--rate', '20', '--duration', duration, '--progress', 'line']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`^stopped early: ${stopped}FAILED\n$`, 'm'));
  });

  it('exits 2 with a clear message for an unreachable target, a wrong model or a wrong signature', async () => {
    const unreachable = await cli(['--target', '127.0.0.1:1', '--connect-timeout', '1s', ...quick]);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toMatch(/^waiting for 127\.0\.0\.1:1: attempt 1 failed .*ECONNREFUSED/m);
    expect(unreachable.stderr).toMatch(
      /modelship loadtest: could not run: target 127\.0\.0\.1:1 did not answer within --connect-timeout 1\.0 s \(2 attempts, each connection and call within --timeout 30\.0 s\); last error: .*could not connect.*ECONNREFUSED/,
    );
    const model = await cli([...target(server).slice(0, 2), '--model', 'resnet', ...quick]);
    expect(model.code).toBe(2);
    expect(model.stderr).toMatch(/GetModelMetadata of model 'resnet'.*NOT_FOUND/);
    const signature = await cli([...target(server), '--signature', 'nope', ...quick]);
    expect(signature.code).toBe(2);
    expect(signature.stderr).toContain("has no signature 'nope' (found: serving_default)");
  });

  it.each([
    ['accepts TCP connections and never speaks HTTP/2', 'tcp', 'no HTTP/2 SETTINGS from the server within 2000 ms'],
    [
      'accepts HTTP/2 streams and never answers',
      'http2',
      'GetModelMetadata .* failed: timeout: no reply within 2000 ms',
    ],
  ] as const)('exits 2, saying what it tried, when the server %s', async (_what, kind, lastError) => {
    const server = await silent[kind]();
    // cli() kills a process still running after 30 s: a wait that never ends fails here with another exit code.
    const run = await cli([
      '--target',
      `127.0.0.1:${server.port}`,
      '--rate',
      '5',
      '--timeout',
      '2s',
      '--duration',
      '5s',
      '--connect-timeout',
      '6s',
    ]);
    expect(run.code).toBe(2);
    const said = new RegExp(
      `modelship loadtest: could not run: target 127\\.0\\.0\\.1:${server.port} did not answer within --connect-timeout 6\\.0 s \\((\\d) attempts, each connection and call within --timeout 2\\.0 s\\); last error: .*${lastError}.*\\(check that TF Serving is up at that address`,
    ).exec(run.stderr);
    expect(said, run.stderr).not.toBeNull();
    // Attempts end at about 2, 4.5 and 7.5 s; a slow machine may fit only two in the 6 s. Each was a connection.
    expect(Number(said![1])).toBeGreaterThanOrEqual(2);
    expect(server.taken()).toBe(Number(said![1]));
  });

  it('exits 2 when the pre-flight Predict returns the wrong output shape', async () => {
    const run = await cli([...target(wrongShape), ...quick]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("output 'y': expected shape [-1,2], found [1,3]");
  });

  it('exits 2 and lists every bad option at once', async () => {
    const run = await cli([
      '--target',
      'nowhere',
      '--users',
      '0',
      '--duration',
      'soon',
      '--threshold',
      'p99<fast',
      '--protocol',
      'udp',
      '--timeout',
      '0',
    ]);
    expect(run.code).toBe(2);
    for (const problem of [
      "--target must be host:port, [ipv6]:port or dns:///host:port with a port 1-65535 (for example 127.0.0.1:8500), got 'nowhere'",
      "--protocol: expected grpc or rest, found 'udp'",
      "--duration: expected a duration such as 30s, 5m or 250ms, found 'soon'",
      "--threshold 'p99<fast'",
      '--timeout: expected a duration > 0',
    ])
      expect(run.stderr).toContain(problem);
    const both = await cli(['--target', '127.0.0.1:1', '--users', '2', '--rate', '3', '--duration', '1s']);
    expect(both.stderr).toContain(
      'load: expected one of --users (closed), --rate or --stages (open), found --users and --rate',
    );
    const noPort = await cli(['--target', '10.0.0.1', '--rate', '1', '--duration', '1s']);
    expect(noPort.code).toBe(2);
    expect(noPort.stderr).toContain(
      "--target must be host:port, [ipv6]:port or dns:///host:port with a port 1-65535 (for example 127.0.0.1:8500), got '10.0.0.1'",
    );
    const unknown = await cli(['--target', '127.0.0.1:1', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--bogus'");
  });

  it('refuses an option where a value belongs, and gives help only for --help as an option', async () => {
    for (const flag of ['--help', '-h']) {
      const run = await cli(['--target', flag, '--rate', '1', '--duration', '1s']);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(
        new RegExp(
          `^modelship loadtest: --target must be host:port, \\[ipv6\\]:port or dns:///host:port with a port 1-65535 \\(for example 127\\.0\\.0\\.1:8500\\), got '${flag}'\n\nUsage: modelship loadtest`,
        ),
      );
      expect(run.stdout).toBe('');
    }
    const rate = await cli(['--target', '127.0.0.1:1', '--rate', '--duration', '1s']);
    expect(rate.code).toBe(2);
    expect(rate.stderr).toContain("--rate needs a value, got the option '--duration'");
    const help = await cli(['--target', '127.0.0.1:1', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: modelship loadtest --target HOST:PORT/);
  });
});
