import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signBody } from '../shared/github/signature.js';
import { releasePayload } from '../local/release-payload.js';
import { startLocalStack } from '../local/stack.js';
import { percentile, pin } from './pin.js';

/**
 * `npm run bench:webhook`: the webhook's latency as GitHub sees it, on loopback, with the functions host and the
 * emulators pinned to core 1 and this client to core 0. Each case is repeated and interleaved with the others; the
 * figures that matter are the ratios to `ping` (same server, same framework, no Firestore or Pub/Sub), measured in
 * the same run, since the machine is shared and noisy.
 */
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const REPO = 'bench/model';

const secret = randomBytes(32).toString('hex');
const stack = await startLocalStack({
  dir: mkdtempSync(join(tmpdir(), 'modelship-bench-')),
  ports: { pubsub: 0, firestore: 0, functions: 0 },
  functions: ['githubWebhook'],
  functionsEnv: { GITHUB_WEBHOOK_SECRET: secret, ALLOWED_REPOSITORIES: REPO },
});
const pinned = pin(process.pid, 0);
for (const pid of stack.pids) pin(pid, 1);

// A release with one asset runs once: each "new release" is a release with an asset of its own.
let assets = 0;
const releaseBody = (assetId: number) =>
  JSON.stringify(
    releasePayload({
      repository: REPO,
      tag: 'v1',
      releaseId: 1,
      asset: { id: assetId, name: 'saved_model.tar.gz', size: 1 },
      apiUrl: 'https://api.github.com',
      serverUrl: 'https://github.com',
    }),
  );
const release = releaseBody(++assets);
const duplicateId = randomUUID();

type Case = { name: string; event: string; body: () => string; delivery: () => string; secret: string; expect: number };
const cases: Case[] = [
  { name: 'ping (verify only)', event: 'ping', body: () => '{"zen":"x"}', delivery: randomUUID, secret, expect: 200 },
  {
    name: 'bad signature (401)',
    event: 'release',
    body: () => release,
    delivery: randomUUID,
    secret: 'wrong-secret-123456',
    expect: 401,
  },
  {
    name: 'duplicate delivery',
    event: 'release',
    body: () => release,
    delivery: () => duplicateId,
    secret,
    expect: 200,
  },
  {
    name: 'new release (publish)',
    event: 'release',
    body: () => releaseBody(++assets),
    delivery: randomUUID,
    secret,
    expect: 202,
  },
];

async function send(c: Case): Promise<number> {
  const body = c.body();
  const t = performance.now();
  const res = await fetch(`${stack.functionsUrl}/githubWebhook`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': c.event,
      'x-github-delivery': c.delivery(),
      'x-hub-signature-256': signBody(body, c.secret),
    },
    body,
  });
  await res.arrayBuffer();
  const ms = performance.now() - t;
  if (res.status !== c.expect && !(c.name === 'duplicate delivery' && res.status === 202)) {
    throw new Error(`${c.name}: HTTP ${res.status}, expected ${c.expect}`);
  }
  return ms;
}

const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
try {
  for (const c of cases) for (let i = 0; i < 20; i++) await send(c); // warm-up: JIT, connections, emulator caches
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of cases) {
      const out = samples.get(c.name) ?? [];
      for (let i = 0; i < REQUESTS; i++) out.push(await send(c));
    }
  }
} finally {
  await stack.stop();
}

const ping = [...(samples.get(cases[0]!.name) ?? [])].sort((a, b) => a - b);
console.log(`webhook latency, ${ROUNDS} rounds x ${REQUESTS} sequential requests per case, pinned: ${pinned}`);
console.log('| case | p50 ms | p99 ms | max ms | p50 / ping p50 | p99 / ping p99 |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const [name, raw] of samples) {
  const s = [...raw].sort((a, b) => a - b);
  const f = (v: number) => v.toFixed(2);
  console.log(
    `| ${name} | ${f(percentile(s, 50))} | ${f(percentile(s, 99))} | ${f(s.at(-1) ?? NaN)} | ` +
      `${(percentile(s, 50) / percentile(ping, 50)).toFixed(1)}x | ${(percentile(s, 99) / percentile(ping, 99)).toFixed(1)}x |`,
  );
}
