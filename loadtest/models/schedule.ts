/** One stage of an open load: the rate moves linearly from the previous stage's target to `rate` (req/s). */
export interface Stage {
  readonly durationMs: number;
  readonly rate: number;
}

interface Segment {
  startMs: number;
  durationMs: number;
  fromRate: number;
  toRate: number;
  countBefore: number;
  countAfter: number;
}

/**
 * The send times of an open load, like k6's ramping-arrival-rate (starting from 0 req/s; a 0s stage jumps).
 * Request n (from 0) is due when the integral of the rate reaches n, so a constant rate R sends at n/R.
 */
export class Schedule {
  private readonly segments: Segment[] = [];
  readonly totalMs: number;
  private cursor = 0;

  constructor(stages: readonly Stage[]) {
    let startMs = 0;
    let fromRate = 0;
    let count = 0;
    for (const { durationMs, rate } of stages) {
      const countAfter = count + ((fromRate + rate) / 2) * (durationMs / 1000);
      this.segments.push({ startMs, durationMs, fromRate, toRate: rate, countBefore: count, countAfter });
      startMs += durationMs;
      fromRate = rate;
      count = countAfter;
    }
    this.totalMs = startMs;
  }

  /** Offset in ms of request n, or undefined when the plan ends first. Calls must not decrease n. */
  at(n: number): number | undefined {
    for (; this.cursor < this.segments.length; this.cursor += 1) {
      const s = this.segments[this.cursor]!;
      if (n >= s.countAfter || s.durationMs === 0) continue;
      // Solve r0·τ + (r1−r0)·τ²/(2D) = n − countBefore for τ (seconds), in the form that has no cancellation.
      const d = s.durationMs / 1000;
      const a = (s.toRate - s.fromRate) / (2 * d);
      const b = s.fromRate;
      const c = n - s.countBefore;
      const denominator = b + Math.sqrt(Math.max(0, b * b + 4 * a * c));
      const tau = denominator === 0 ? 0 : (2 * c) / denominator;
      return s.startMs + Math.min(tau * 1000, s.durationMs);
    }
    return undefined;
  }

  /** The target rate at offset tMs, for the series and the report. */
  rateAt(tMs: number): number {
    const s = this.segments.find((seg) => tMs < seg.startMs + seg.durationMs) ?? this.segments.at(-1);
    if (!s || s.durationMs === 0) return s?.toRate ?? 0;
    const f = Math.min(1, Math.max(0, (tMs - s.startMs) / s.durationMs));
    return s.fromRate + (s.toRate - s.fromRate) * f;
  }

  /** Requests the whole plan sends. */
  get totalRequests(): number {
    return Math.ceil(this.segments.at(-1)?.countAfter ?? 0);
  }
}
