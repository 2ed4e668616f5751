import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { encodePredictRequest } from '../../shared/tfserving/codec.js';
import { randomTensor } from '../../shared/tfserving/tensor-inputs.js';
import { frame } from '../../loadtest/senders/grpc-wire.js';

/**
 * Side by side on loopback, server on core 0 and generator on core 1 (taskset), each case repeated:
 * Locust + grpcio, h2load and modelship (its raw HTTP/2 client, on the main thread and in a worker, and the
 * node:http2 one), on a tiny request and the seed's 602 KB Predict; then the open model's accuracy against a
 * server that stalls 1 s every 10 s. Env: BENCH_DURATION (s, 15), BENCH_REPEATS (3). CPU per request is the whole
 * process's (user + system, start-up included) over its requests; every ratio is against a peer in the same repeat.
 * Beside it, modelship's CPU per request net of its start-up: the CPU of the same command sending one request
 * (--rate 1 for 1 s, same repeat) taken off, as what the figure tends to over a longer run.
 */
const DURATION = Number(process.env.BENCH_DURATION ?? 15);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const LOCUSTFILE = join(ROOT, 'bench', 'loadtest', 'locustfile.py');
const PATH = '/tensorflow.serving.PredictionService/Predict';

interface Run {
  requests: number;
  seconds: number;
  cpuSeconds: number;
  stdout: string;
}

/** Runs a command pinned to core 1 under /usr/bin/time: its CPU (user + system, children included). */
function pinned(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', 'CPU %U %S', 'taskset', '-c', '1', ...args], {
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', () => {
      const cpu = /CPU ([\d.]+) ([\d.]+)\s*$/.exec(stderr);
      if (!cpu) return reject(new Error(`${args.join(' ')} failed:\n${stderr.slice(-2000)}`));
      resolve({ requests: 0, seconds: DURATION, cpuSeconds: Number(cpu[1]) + Number(cpu[2]), stdout: stdout + stderr });
    });
  });
}

async function startServer(stall: boolean): Promise<{ port: number; startEpochMs: number; stop: () => void }> {
  const child = spawn('taskset', [
    '-c',
    '0',
    process.execPath,
    join(ROOT, 'dist', 'bench', 'loadtest', 'server.js'),
    ...(stall ? ['--stall'] : []),
  ]);
  const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
  const { grpcPort, startEpochMs } = JSON.parse(line) as { grpcPort: number; startEpochMs: number };
  return { port: grpcPort, startEpochMs, stop: () => child.kill('SIGTERM') };
}

async function modelship(
  port: number,
  signature: string,
  out: string,
  load: string[],
  workers = 1,
  h2 = 'raw',
): Promise<Run & { summary: Record<string, never> }> {
  const args = [
    'loadtest',
    '--target',
    `127.0.0.1:${port}`,
    '--signature',
    signature,
    '--workers',
    String(workers),
    '--h2',
    h2,
    '--progress',
    'off',
    '--out',
    out,
  ];
  const run = await pinned([process.execPath, CLI, ...args, ...load]);
  const summary = JSON.parse(
    await readFile(join(out, 'summary.json'), 'utf8').catch(() => {
      throw new Error(`modelship ${args.join(' ')} wrote no summary:\n${run.stdout.slice(-3000)}`);
    }),
  );
  return { ...run, requests: summary.requests.total, summary };
}

async function locust(
  port: number,
  body: string,
  prefix: string,
  users: number,
  pacing: number,
  seconds: number,
): Promise<Run & { p99: number }> {
  const args = [
    'locust',
    '-f',
    LOCUSTFILE,
    '--headless',
    '-u',
    String(users),
    '-r',
    String(users),
    '-t',
    `${seconds}s`,
    '--csv',
    prefix,
    '--only-summary',
    '--loglevel',
    'WARNING',
  ];
  const run = await pinned(args, { BENCH_TARGET: `127.0.0.1:${port}`, BENCH_BODY: body, BENCH_PACING: String(pacing) });
  const rows = (await readFile(`${prefix}_stats.csv`, 'utf8')).trim().split('\n');
  const header = rows[0]!.split(',').map((h) => h.replace(/"/g, ''));
  const aggregated = rows
    .at(-1)!
    .split(',')
    .map((c) => c.replace(/"/g, ''));
  const column = (name: string): number => Number(aggregated[header.indexOf(name)]);
  return { ...run, seconds, requests: column('Request Count'), p99: column('99%') };
}

async function h2load(port: number, framed: string): Promise<Run> {
  const run = await pinned([
    'h2load',
    '-D',
    String(DURATION),
    '-c',
    '1',
    '-m',
    '100',
    '-t',
    '1',
    '-d',
    framed,
    '-H',
    'content-type: application/grpc',
    '-H',
    'te: trailers',
    `http://127.0.0.1:${port}${PATH}`,
  ]);
  const succeeded = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded/.exec(run.stdout);
  return { ...run, requests: Number(succeeded?.[1] ?? 0) };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-loadtest-'));
  const payloads = [
    { name: 'tiny [1,2] float32', signature: 'tiny', spec: { name: 'x', dtype: 'DT_FLOAT' as const, shape: [-1, 2] } },
    {
      name: 'ResNet [1,224,224,3] float32',
      signature: 'serving_default',
      spec: { name: 'image_input', dtype: 'DT_FLOAT' as const, shape: [-1, 224, 224, 3] },
    },
  ];
  const lines = [
    `${DURATION}s x ${REPEATS} runs per case, medians; server on core 0, generator on core 1 (taskset), loopback, 100 concurrent streams/users, 1 connection.`,
    '',
    '| payload | generator | req/s | CPU per request | CPU/request vs h2load | net of start-up, vs h2load | CPU/request vs Locust | req/s vs h2load |',
    '|---|---|---|---|---|---|---|---|',
  ];
  const server = await startServer(false);
  try {
    for (const payload of payloads) {
      const message = encodePredictRequest({
        modelSpec: { name: 'resnet', signatureName: payload.signature },
        inputs: { [payload.spec.name]: randomTensor(payload.spec, 1) },
      });
      const body = join(dir, `${payload.signature}.bin`);
      const framed = join(dir, `${payload.signature}.framed`);
      await writeFile(body, message);
      await writeFile(framed, frame(message));
      const results: Record<string, { rps: number[]; cpuUs: number[]; netUs: number[] }> = {};
      const record = (tool: string, run: Run, startupSeconds = 0): void => {
        const r = (results[tool] ??= { rps: [], cpuUs: [], netUs: [] });
        r.rps.push(run.requests / run.seconds);
        r.cpuUs.push((run.cpuSeconds / Math.max(1, run.requests)) * 1e6);
        r.netUs.push(((run.cpuSeconds - startupSeconds) / Math.max(1, run.requests)) * 1e6);
        console.error(
          `${payload.name} ${tool}: ${Math.round(run.requests / run.seconds)} req/s, ${Math.round((run.cpuSeconds / Math.max(1, run.requests)) * 1e6)} us CPU/request`,
        );
      };
      for (let i = 0; i < REPEATS; i++) {
        record(
          'Locust + grpcio',
          await locust(server.port, body, join(dir, `locust-${payload.signature}-${i}`), 100, 0, DURATION),
        );
        record('h2load', await h2load(server.port, framed));
        const load = [
          '--users',
          '100',
          '--spawn-rate',
          '100000',
          '--think-time',
          '0s',
          '--duration',
          `${DURATION}s`,
          '--channels',
          '1',
        ];
        for (const [workers, h2] of [
          [0, 'raw'],
          [1, 'raw'],
          [0, 'node'],
        ] as const) {
          const out = join(dir, `ms-${payload.signature}-${i}-${workers}-${h2}`);
          const run = await modelship(server.port, payload.signature, out, load, workers, h2);
          const one = ['--rate', '1', '--duration', '1s'];
          const startup = await modelship(server.port, payload.signature, `${out}-startup`, one, workers, h2);
          record(`modelship --h2 ${h2} --workers ${workers}`, run, startup.cpuSeconds);
        }
      }
      // Ratios are paired: each repeat's figure over the peer's in the same repeat, then the median of those, so
      // that a slow spell of the shared machine weighs on both sides of a ratio alike.
      const ratio = (mine: number[], peer: number[]): string =>
        `${median(mine.map((v, i) => v / peer[i]!)).toFixed(2)}x`;
      const locustCpu = results['Locust + grpcio']!;
      const h2 = results['h2load']!;
      for (const [tool, r] of Object.entries(results)) {
        const rps = median(r.rps);
        const cpu = median(r.cpuUs);
        const net = tool.startsWith('modelship') ? `${median(r.netUs).toFixed(1)} us, ${ratio(r.netUs, h2.cpuUs)}` : '';
        lines.push(
          `| ${payload.name} (${message.length} B) | ${tool} | ${Math.round(rps)} | ${cpu.toFixed(1)} us | ${ratio(r.cpuUs, h2.cpuUs)} | ${net} | ${ratio(r.cpuUs, locustCpu.cpuUs)} | ${ratio(r.rps, h2.rps)} |`,
        );
      }
    }
  } finally {
    server.stop();
  }
  lines.push('', ...(await accuracy(dir)));
  const table = lines.join('\n');
  console.log(table);
  await writeFile(join(dir, 'results.md'), `${table}\n`);
  console.error(`\nwritten to ${join(dir, 'results.md')}`);
}

/** p99 against a server that stalls 1 s every 10 s, at 200 req/s: the truth from the schedule, modelship, Locust. */
async function accuracy(dir: string): Promise<string[]> {
  const seconds = Math.max(20, DURATION * 2);
  const rate = 200;
  const body = join(dir, 'tiny.bin');
  const server = await startServer(true);
  try {
    const run = await modelship(server.port, 'tiny', join(dir, 'ms-stall'), [
      '--rate',
      String(rate),
      '--duration',
      `${seconds}s`,
    ]);
    const summary = run.summary as unknown as { startedAt: string; latencyMs: { p99: number } };
    const start = Date.parse(summary.startedAt) - server.startEpochMs;
    const truth = Array.from({ length: seconds * rate }, (_, n) => {
      const into = (start + (n * 1000) / rate) % 10_000;
      return into < 1000 ? 1000 - into : 0;
    }).sort((a, b) => a - b);
    const truthP99 = truth[Math.ceil(truth.length * 0.99) - 1]!;
    const loc = await locust(server.port, body, join(dir, 'locust-stall'), 20, 20 / rate, seconds);
    return [
      `Accuracy: ${rate} req/s for ${seconds}s against a server that stalls 1 s every 10 s (tiny request).`,
      '',
      '| | p99 | vs truth |',
      '|---|---|---|',
      `| truth from the schedule | ${truthP99.toFixed(1)} ms | 1.00x |`,
      `| modelship open model (--rate ${rate}) | ${summary.latencyMs.p99.toFixed(1)} ms | ${(summary.latencyMs.p99 / truthP99).toFixed(2)}x |`,
      `| Locust, 20 users, constant_pacing(0.1) | ${loc.p99} ms | ${(loc.p99 / truthP99).toFixed(2)}x |`,
    ];
  } finally {
    server.stop();
  }
}

await main();
