import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleReleaseTarball } from '../../../local/release-tarball.js';
import { SMALL_SEED_SIGNATURES } from '../../../shared/tfserving/index.js';
import type { runRecord } from '../../../operator/run-record.js';
import { createFirestoreStore, type RunRecord } from '../../../shared/store.js';
import { release, scenarios } from '../../support/local-release.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * Issue 14 on the whole local stack, in container mode: two releases in a row on one stack. The first has two
 * candidate scenarios on the same node, one with four intra-op threads per request and one with a single thread (the
 * simulator makes the first about three times faster, docs/tfserving.md); both are measured side by side, each against its own
 * endpoint, and the faster is promoted. The second release is the same model twice as slow in the simulator: each of
 * its candidates is measured beside its baseline (the first release, same scenario), all four load tests launched
 * together once the wave is deployed; the gate refuses both, and the serving deployment keeps the first release's
 * digest.
 */

type Released = Awaited<ReturnType<typeof release>>;
let result: Released;
let first: RunRecord;
let second: RunRecord;
const home = tempDir('modelship-candidates-');

/** The run as `modelship local release` wrote it to DIR/runs/RUN_ID.json. */
const record = (run: RunRecord) =>
  JSON.parse(readFileSync(join(home, 'runs', `${run.runId}.json`), 'utf8')) as ReturnType<typeof runRecord>;

beforeAll(async () => {
  // A model about nine times as costly as the simulator's default (250 ms a request on four threads, 700 ms on
  // one), with the seed's signature cut to 8 floats in: the simulated time rules the latencies, not this machine's
  // own work per request (taking in a 602 KB image costs tens of ms, seconds when the suite loads both cores, and
  // then drowned even a 2x slower release in CI).
  const model = { machineType: 'n2-custom-4-8192', interOp: 1, extraArgs: ['--sim_cpu_ms_per_example=700'] };
  const dir = scenarios(
    ['fast', 'resnet', 1200, { ...model, intraOp: 4 }],
    ['slow', 'resnet', 1200, { ...model, intraOp: 1 }],
  );
  const signatures = SMALL_SEED_SIGNATURES;
  result = await release({
    dir: home,
    scenario: 'fast,slow',
    tarball: await sampleReleaseTarball({ signatures }),
    // Twice as slow, its four arms (two candidates, two baselines) measured together once the wave is deployed.
    then: [{ tag: 'v1.1.0', tarball: await sampleReleaseTarball({ simSlowdown: 2, signatures }) }],
    durationS: 12,
    users: 4,
    timeoutMs: 300_000,
    functionsEnv: { SCENARIOS_DIR: dir },
  });
  [first, second] = result.runs as [RunRecord, RunRecord];
}, 840_000);

afterAll(() => result?.stack.stop());

describe('candidates, the gate and promotion on the whole stack', () => {
  it('measures two scenarios side by side, each on its own endpoint, and promotes the faster', () => {
    const { out, stack } = result;
    expect(first, out).toMatchObject({ status: 'succeeded', tag: 'v1.0.0', result: { promoted: 'fast' } });
    const { fast, slow } = first.scenarios ?? {};
    // The first release has nothing serving to compare with: no baselines.
    expect(Object.keys(first.scenarios ?? {}).sort()).toEqual(['fast', 'slow']);
    expect(fast?.endpoint).toBeTruthy();
    expect(slow?.endpoint).toBeTruthy();
    expect(fast?.endpoint).not.toBe(slow?.endpoint);
    // One load test per candidate, each aimed at the endpoint its own deploy recorded.
    const targets = [...(stack.loadTests?.run.executions.values() ?? [])].map(
      (e) => e.args[e.args.indexOf('--target') + 1],
    );
    expect(targets.slice(0, 2).sort()).toEqual([fast?.endpoint, slow?.endpoint].sort());
    // The simulator's truth: four threads per request answer faster and serve more on the same vCPU.
    expect(fast?.figures?.p50Ms).toBeLessThan(slow?.figures?.p50Ms ?? 0);
    expect(fast?.figures?.rps).toBeGreaterThan(slow?.figures?.rps ?? Infinity);
    expect(first.promotion).toMatchObject({ status: 'promoted', scenario: 'fast', image: fast?.image });
    expect(record(first)).toMatchObject({
      runId: first.runId,
      status: 'succeeded',
      promotion: { scenario: 'fast', status: 'promoted' },
      candidates: expect.arrayContaining([
        expect.objectContaining({
          scenario: 'fast',
          endpoint: fast?.endpoint,
          verdict: expect.objectContaining({ passed: true }),
        }),
        expect.objectContaining({ scenario: 'slow', endpoint: slow?.endpoint }),
      ]),
    });
  });

  it('refuses a slower release against its baseline and keeps serving the first release', async () => {
    const { out, stack, notes, serving } = result;
    const promoted = first.promotion?.image;
    expect(second, out).toMatchObject({
      status: 'failed',
      tag: 'v1.1.0',
      serving: { scenario: 'fast', image: promoted },
      failure: { stage: 'promote', reason: expect.stringMatching(/no candidate passed the gate/) },
    });
    const candidates = second.scenarios ?? {};
    expect(Object.keys(candidates).sort()).toEqual(['fast', 'fast~baseline', 'slow', 'slow~baseline']);
    for (const name of ['fast', 'slow']) {
      expect(candidates[`${name}~baseline`]).toMatchObject({ status: 'succeeded', arm: 'baseline', image: promoted });
      expect(candidates[name]?.image).not.toBe(promoted);
      expect(candidates[name]?.verdict?.passed, name).toBe(false);
      expect(candidates[name]?.verdict?.reasons.join('; ')).toMatch(/latency \+[\d.]+%.*: slower/);
    }
    // What serves is what the first release promoted, in the cluster and in the store.
    expect(serving).toBe(promoted);
    expect(await createFirestoreStore(stack.firestore).lastGoodDeployment('default')).toMatchObject({
      scenario: 'fast',
      image: promoted,
      runId: first.runId,
    });
    // Every candidate and baseline is torn down: only the serving objects are left.
    const kube = stack.deploy?.kubernetes.store;
    expect(kube?.list('apps/v1', 'Deployment', 'default').map((d) => d.metadata?.name)).toEqual(['tfs-server']);
    expect(
      kube
        ?.list('v1', 'Service', 'default')
        .map((d) => d.metadata?.name)
        .sort(),
    ).toEqual(['tfs-server', 'tfs-server-headless']);
    expect(notes).toContain('refused ❌');
    expect(notes).toMatch(/Nothing promoted:\*\* no candidate passed the gate/);
    expect(record(second)).toMatchObject({ promotion: { scenario: null }, failure: { stage: 'promote' } });
    expect(stack.iam.denials).toEqual([]);
  });
});
