import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClaimBusyError, runOnce, STALE_CLAIM_MS } from '../../../shared/idempotency.js';
import { createFirestoreStore, type Store } from '../../../shared/store.js';
import { testProject, type TestProject } from '../../support/emulators.js';

let project: TestProject;
let store: Store;
beforeAll(async () => {
  project = await testProject();
  store = createFirestoreStore(project.firestore);
});
afterAll(() => project?.close());

describe('runOnce (Firestore)', () => {
  it('runs the work once for concurrent and later duplicates, and records what it returned', async () => {
    let runs = 0;
    const work = async () => ({ n: ++runs });
    const outcomes = await Promise.allSettled([1, 2, 3].map(() => runOnce(store, 'k/concurrent', {}, work)));
    const late = await runOnce(store, 'k/concurrent', {}, work);
    expect(runs).toBe(1);
    const won = outcomes.filter((o) => o.status === 'fulfilled' && !o.value.duplicate);
    expect(won).toHaveLength(1);
    // The others met a live claim, or the finished key: never a second run of the work.
    for (const o of outcomes) {
      if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(ClaimBusyError);
      else if (o !== won[0]) expect(o.value.duplicate).toBe(true);
    }
    expect(late).toMatchObject({ duplicate: true, record: { state: 'done', n: 1 } });
  });

  it('retries a failed attempt on the next delivery, keeping the data of the first claim', async () => {
    await expect(
      runOnce(store, 'k/failed', { data: { runId: 'first' } }, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const retry = await runOnce(store, 'k/failed', { data: { runId: 'second' } }, async (r) => ({
      used: String(r.runId),
    }));
    expect(retry).toMatchObject({ duplicate: false, result: { used: 'first' } });
  });

  it('retries (not acknowledges) a delivery that meets a live claim, and takes over one that died (still running after staleMs)', async () => {
    const t0 = new Date('2026-01-01T00:00:00Z');
    let release: () => void = () => undefined;
    let started: () => void = () => undefined;
    const running = new Promise<void>((r) => (started = r));
    const first = runOnce(store, 'k/stale', { now: () => t0 }, () => {
      started();
      return new Promise<Record<string, unknown>>((r) => (release = () => r({})));
    });
    await running;
    const early = runOnce(store, 'k/stale', { now: () => new Date(t0.getTime() + 1000) }, async () => ({}));
    await expect(early).rejects.toBeInstanceOf(ClaimBusyError);
    await expect(early).rejects.toThrow(
      /k\/stale is being worked on .* takes the work over if that attempt has not finished by 2026-01-01T00:02:00.000Z/,
    );
    await expect(
      runOnce(store, 'k/stale', { now: () => new Date(t0.getTime() + 1000), whenBusy: 'duplicate' }, async () => ({})),
    ).resolves.toMatchObject({ duplicate: true });
    const later = new Date(t0.getTime() + STALE_CLAIM_MS + 1);
    await expect(
      runOnce(store, 'k/stale', { now: () => later }, async () => ({ by: 'takeover' })),
    ).resolves.toMatchObject({ duplicate: false });
    release();
    await first;
  });
});
