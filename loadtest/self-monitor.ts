import type { GeneratorHealth } from './summary.js';

/** Thresholds past which the generator, not the server, is taken to be the limit. */
export const LIMITS = { cpuPercent: 90, loopDelayMs: 50, lateRatio: 0.01 };

/** Watches this process: CPU of every thread against the cores given, and the threads' event-loop delay. */
export class SelfMonitor {
  private last = process.cpuUsage();
  private lastAt = performance.now();
  private readonly cpu: number[] = [];
  private loopP99 = 0;
  private loopMax = 0;

  constructor(
    private readonly workers: number,
    private readonly cores: number,
  ) {}

  /** Call once a second; returns the CPU percentage of the cores given since the last call. */
  tick(): number {
    const now = performance.now();
    const usage = process.cpuUsage(this.last);
    this.last = process.cpuUsage();
    const elapsedUs = (now - this.lastAt) * 1000;
    this.lastAt = now;
    const percent = elapsedUs > 0 ? ((usage.user + usage.system) / elapsedUs / this.cores) * 100 : 0;
    this.cpu.push(percent);
    return percent;
  }

  loopDelay(delay: { p99: number; max: number }): void {
    this.loopP99 = Math.max(this.loopP99, delay.p99);
    this.loopMax = Math.max(this.loopMax, delay.max);
  }

  health(requests: number, late: number): GeneratorHealth {
    const round = (n: number): number => Math.round(n * 10) / 10;
    const mean = this.cpu.length ? this.cpu.reduce((a, b) => a + b, 0) / this.cpu.length : 0;
    const max = Math.max(0, ...this.cpu);
    const reasons: string[] = [];
    if (mean >= LIMITS.cpuPercent)
      reasons.push(
        `the generator used ${round(mean)}% of its ${this.cores} cores on average: give it more cores or --workers`,
      );
    if (this.loopP99 > LIMITS.loopDelayMs)
      reasons.push(
        `event-loop delay p99 reached ${round(this.loopP99)} ms in a load thread (limit ${LIMITS.loopDelayMs} ms)`,
      );
    if (requests > 0 && late / requests > LIMITS.lateRatio)
      reasons.push(
        `${round((late / requests) * 100)}% of requests left late: the generator could not keep the schedule`,
      );
    return {
      workers: this.workers,
      cores: this.cores,
      cpuPercent: { mean: round(mean), max: round(max) },
      eventLoopDelayMs: { p99: round(this.loopP99), max: round(this.loopMax) },
      limited: reasons.length > 0,
      reasons,
    };
  }
}
