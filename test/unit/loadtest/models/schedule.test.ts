import { describe, expect, it } from 'vitest';
import { Schedule } from '../../../../loadtest/models/schedule.js';

describe('Schedule', () => {
  it('sends request n of a constant rate at n/R', () => {
    const schedule = new Schedule([
      { durationMs: 0, rate: 10 },
      { durationMs: 1000, rate: 10 },
    ]);
    expect([0, 1, 5, 9].map((n) => schedule.at(n))).toEqual([0, 100, 500, 900]);
    expect(schedule.at(10)).toBeUndefined();
    expect(schedule.totalRequests).toBe(10);
  });

  it('ramps linearly from 0, so the count is the area under the rate', () => {
    const schedule = new Schedule([{ durationMs: 2000, rate: 100 }]);
    // N(t) = 25 t² (t in s): request n is due at sqrt(n/25) s.
    expect(schedule.at(25)).toBeCloseTo(1000, 6);
    expect(schedule.at(100 - 1)).toBeCloseTo(Math.sqrt(99 / 25) * 1000, 6);
    expect(schedule.at(100)).toBeUndefined();
    expect(schedule.rateAt(500)).toBeCloseTo(25);
  });

  it('follows stages up, flat, and down to zero', () => {
    const schedule = new Schedule([
      { durationMs: 1000, rate: 20 },
      { durationMs: 1000, rate: 20 },
      { durationMs: 1000, rate: 0 },
    ]);
    expect(schedule.totalRequests).toBe(40);
    const times: number[] = [];
    for (let n = 0, t = schedule.at(0); t !== undefined; n += 1, t = schedule.at(n)) times.push(t);
    expect(times).toHaveLength(40);
    expect(times.filter((t) => t >= 1000 && t < 2000)).toHaveLength(20);
    expect(times.every((t, i) => i === 0 || t > times[i - 1]!)).toBe(true);
    expect(schedule.rateAt(2500)).toBeCloseTo(10);
  });
});
