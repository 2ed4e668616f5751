import { describe, expect, it } from 'vitest';
import { createStallGate } from '../../../../local/tfserving-sim/stall-gate.js';
import { createFakeClock } from './fake-clock.js';

describe('stall gate', () => {
  it('holds whatever passes during [k*every, k*every + stall) until the stall ends', async () => {
    const clock = createFakeClock();
    const gate = createStallGate(1000, 200, clock);
    const passedAt: number[] = [];
    for (const t of [500, 1000, 1100, 1199, 1200, 2050]) {
      await clock.advanceTo(t);
      void gate.pass().then(() => passedAt.push(clock.now()));
    }
    await clock.advanceTo(5000);
    expect(passedAt).toEqual([500, 1200, 1200, 1200, 1200, 2200]);
  });
});
