import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLocalImages } from '../local/containers/images.js';
import { startRegistry } from '../local/containers/registry.js';
import { startFirestoreEmulator, startPubsubEmulator } from '../local/emulators/google-sdk.js';
import { runLocalRelease } from '../local/local-release.js';
import { sampleReleaseTarball } from '../local/release-tarball.js';
import type { Runtime } from '../local/stack.js';
import { AUTO_PORTS } from '../local/emulator-ports.js';

/**
 * `npm run bench:local`: a whole release (webhook → bake → deploy → load test → report) in container mode beside the
 * same release in process mode, interleaved round by round in one run, on one set of emulators and one registry; and
 * the bytes of base-image layers a second bake on the same base moves, read from the registry's own log (goal: 0).
 * The time is the run's own, from its creation to its report (the stack's start-up is not in it). Everything runs on
 * this machine's two cores: containers start many processes, so nothing is pinned; the ratio, not the seconds, is the
 * figure to read.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const work = mkdtempSync(join(tmpdir(), 'modelship-bench-local-'));
const registry = await startRegistry({ dir: join(work, 'registry') });
const [pubsub, firestore] = await Promise.all([startPubsubEmulator(), startFirestoreEmulator()]);
const stops = [registry, pubsub, firestore];
let releases = 0;

async function release(runtime: Runtime, images?: Awaited<ReturnType<typeof buildLocalImages>>) {
  const lines: string[] = [];
  const { code, run } = await runLocalRelease({
    dir: join(work, `release-${++releases}`),
    tarball: await sampleReleaseTarball(),
    tag: `v1.0.${releases}`,
    ports: AUTO_PORTS,
    emulatorHosts: { pubsub: pubsub.host, firestore: firestore.host },
    project: `bench-${releases}`,
    runtime,
    ...(images ? { images } : {}),
    durationS: 5,
    users: 5,
    print: (l) => lines.push(l),
  });
  if (code !== 0 || !run) throw new Error(`the ${runtime} release failed:\n${lines.join('\n')}`);
  return (Date.parse(run.updatedAt) - Date.parse(run.createdAt)) / 1000;
}

/** The registry's log lines from `offset` on, as JSON. */
function logSince(offset: number): Array<Record<string, unknown>> {
  return readFileSync(registry.logFile, 'utf8')
    .slice(offset)
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

try {
  const t0 = performance.now();
  const images = await buildLocalImages({ registry: registry.host, logFile: join(work, 'image-build.log') });
  console.log(`images built and pushed in ${((performance.now() - t0) / 1000).toFixed(1)} s (cached layers reused)`);
  const times: Record<Runtime, number[]> = { containers: [], processes: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const order: Runtime[] = round % 2 ? ['processes', 'containers'] : ['containers', 'processes'];
    for (const runtime of order)
      times[runtime].push(await release(runtime, runtime === 'containers' ? images : undefined));
    console.log(`round ${round + 1}: containers ${times.containers.at(-1)} s, processes ${times.processes.at(-1)} s`);
  }

  // A second bake on the same base: which base layers crossed the wire?
  const manifest = (await (
    await fetch(
      `http://${registry.host}/v2/standin/tfs-resnet-cpu-opt/manifests/${images.tfServingBase.split('@')[1]}`,
      {
        headers: {
          accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
        },
      },
    )
  ).json()) as { layers: Array<{ digest: string; size: number }> };
  const baseLayers = new Set(manifest.layers.map((l) => l.digest));
  const baseBytes = manifest.layers.reduce((sum, l) => sum + l.size, 0);
  const offset = statSync(registry.logFile).size;
  await release('containers', images);
  const bake = logSince(offset).filter((e) => String(e['http.request.useragent']).startsWith('modelship-gcrane'));
  const touchesBase = (e: Record<string, unknown>) =>
    [...baseLayers].some((d) => String(e['http.request.uri']).includes(d));
  const moved = bake
    .filter((e) => touchesBase(e) && ['GET', 'PUT', 'PATCH'].includes(String(e['http.request.method'])))
    .reduce(
      (sum, e) => sum + Number(e['http.response.written'] ?? 0) + Number(e['http.request.contentlength'] ?? 0),
      0,
    );
  const total = bake.reduce((sum, e) => sum + Number(e['http.response.written'] ?? 0), 0);

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  const c = median(times.containers);
  const p = median(times.processes);
  console.log('\n| mode | run time, median of ' + ROUNDS + ' (s) | ratio |');
  console.log('| --- | --- | --- |');
  console.log(`| processes | ${p.toFixed(1)} | 1.00x |`);
  console.log(`| containers | ${c.toFixed(1)} | ${(c / p).toFixed(2)}x |`);
  console.log(
    `\nsecond bake on the same base: ${moved} bytes of the base's ${baseLayers.size} layers (${(baseBytes / 1e6).toFixed(0)} MB) moved; ` +
      `${bake.length} registry requests, ${total} bytes answered in all`,
  );
} finally {
  await Promise.all(stops.map((s) => s.stop()));
  rmSync(work, { recursive: true, force: true });
}
