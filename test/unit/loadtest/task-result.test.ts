import { decodeFromCompressedBase64 } from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { buildSummary, type SummaryInput } from '../../../loadtest/build-summary.js';
import { openTargetAt } from '../../../loadtest/models/open.js';
import { requestSample } from '../../../loadtest/sample.js';
import { Aggregate } from '../../../loadtest/stats/aggregate.js';
import { latencyStats } from '../../../loadtest/stats/latency.js';
import { Recorder } from '../../../loadtest/stats/recorder.js';
import { newHistogram } from '../../../loadtest/stats/window.js';
import type { GeneratorHealth } from '../../../loadtest/summary.js';
import { mergeTaskResults, taskResult } from '../../../loadtest/task-result.js';
import { options } from './support.js';

const START = 1_000_000;
const opts = options({ target: '127.0.0.1:1', rate: '300', duration: '3s', threshold: ['p99<50ms'] });
const health = (cpu: number, reasons: string[] = []): GeneratorHealth => ({
  workers: 1,
  cores: 4,
  cpuPercent: { mean: cpu, max: cpu + 10 },
  eventLoopDelayMs: { p99: cpu / 10, max: cpu / 5 },
  limited: reasons.length > 0,
  reasons,
});

/** Task t of 3's run: its every third request, with latencies of its own spread. */
function taskRun(t: number, single: { histogram: ReturnType<typeof newHistogram>; minUs: number; maxUs: number }) {
  const recorder = new Recorder(START, START);
  for (let n = t; n < 900; n += 3) {
    const latencyMs = 1 + ((n * 7919) % 1000) / (10 * (t + 1));
    const intended = START + (n / 300) * 1000;
    const ok = n % 50 !== 0;
    const result = ok
      ? { ok, code: 'OK', bytesSent: 10, bytesReceived: 4 }
      : { ok, code: 'grpc 14 UNAVAILABLE', message: 'down', bytesSent: 10, bytesReceived: 0 };
    recorder.record(requestSample(result, intended, intended + latencyMs, false));
    if (!ok) continue;
    const us = Math.round(latencyMs * 1000);
    single.histogram.recordValue(us);
    single.minUs = Math.min(single.minUs, us);
    single.maxUs = Math.max(single.maxUs, us);
  }
  const aggregate = new Aggregate();
  aggregate.add(recorder.drain());
  const input: SummaryInput = {
    options: opts,
    description: 'open load',
    aggregate,
    targetAt: openTargetAt(opts.load as Parameters<typeof openTargetAt>[0]),
    startMs: START,
    endMs: START + 3000 + t * 10,
    startedAt: new Date(START).toISOString(),
    stopped: null,
    health: { health: () => health(20 + t * 30, t === 2 ? ['event-loop delay p99 reached 60 ms'] : []) },
  };
  return { input, result: taskResult({ index: t, count: 3 }, input) };
}

describe('mergeTaskResults', () => {
  it('summarises three tasks as one: counts summed, percentiles from the merged histograms, thresholds on the whole', () => {
    const single = { histogram: newHistogram(), minUs: Infinity, maxUs: 0 };
    const runs = [0, 1, 2].map((t) => taskRun(t, single));
    const results = JSON.parse(JSON.stringify(runs.map((r) => r.result))) as typeof runs;
    const merged = buildSummary(mergeTaskResults(results as never, runs[0]!.input));

    expect(merged.requests.total).toBe(runs.reduce((n, r) => n + r.result.summary.requests.total, 0));
    expect(merged.requests.total).toBe(900);
    expect(merged.requests.failed).toBe(18);
    expect(merged.failures).toEqual([{ code: 'grpc 14 UNAVAILABLE', count: 18, sample: 'down' }]);
    expect(merged.latencyMs).toEqual(latencyStats(single));
    // Not what averaging the tasks' p99s would give.
    const meanOfP99s = runs.reduce((s, r) => s + r.result.summary.latencyMs.p99!, 0) / 3;
    expect(merged.latencyMs.p99).not.toBeCloseTo(meanOfP99s, 0);
    const histogram = decodeFromCompressedBase64(merged.histogram);
    expect(histogram.totalCount).toBe(single.histogram.totalCount);
    expect(histogram.getValueAtPercentile(99)).toBe(single.histogram.getValueAtPercentile(99));
    // By completion time: the seconds of all tasks, added up.
    const perSecond = [0, 1, 2, 3].map((second) =>
      runs.reduce((n, r) => n + (r.result.summary.series.find((p) => p.second === second)?.requests ?? 0), 0),
    );
    expect(merged.series.map((p) => p.requests)).toEqual(perSecond);
    expect(merged.thresholds[0]).toMatchObject({ expression: 'p99<50ms', actual: merged.latencyMs.p99 });
    expect(merged.finishedAt).toBe(new Date(START + 3020).toISOString());
    expect(merged.generator).toMatchObject({
      workers: 3,
      cores: 12,
      cpuPercent: { mean: 80, max: 90 },
      limited: true,
      reasons: ['task 2: event-loop delay p99 reached 60 ms'],
    });
  });

  it('says which task stopped early', () => {
    const single = { histogram: newHistogram(), minUs: Infinity, maxUs: 0 };
    const runs = [0, 1].map((t) => taskRun(t, single));
    const stopped = { ...runs[1]!.result, task: { index: 1, count: 2 }, stopped: 'the failure ratio passed' };
    const merged = mergeTaskResults([runs[0]!.result, stopped], runs[0]!.input);
    expect(merged.stopped).toBe('task 1 of 2: the failure ratio passed');
  });
});
