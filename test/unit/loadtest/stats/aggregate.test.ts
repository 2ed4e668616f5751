import { describe, expect, it } from 'vitest';
import { requestSample } from '../../../../loadtest/sample.js';
import { Aggregate } from '../../../../loadtest/stats/aggregate.js';
import { latencyStats } from '../../../../loadtest/stats/latency.js';
import { Recorder } from '../../../../loadtest/stats/recorder.js';
import { newHistogram } from '../../../../loadtest/stats/window.js';

const ok = { ok: true, code: 'OK', bytesSent: 10, bytesReceived: 4 };

describe('recorders merged across threads', () => {
  it('give exactly the percentiles of one histogram of every sample', () => {
    const start = 1_000_000;
    const threads = [new Recorder(start, start), new Recorder(start, start), new Recorder(start, start)];
    const single = { histogram: newHistogram(), minUs: Infinity, maxUs: 0 };
    for (let i = 0; i < 3000; i++) {
      const latencyMs = ((i * 7919) % 1000) / 10 + 0.5;
      const intended = start + i;
      threads[i % 3]!.record(requestSample(ok, intended, intended + latencyMs, false));
      const us = Math.round(latencyMs * 1000);
      single.histogram.recordValue(us);
      single.minUs = Math.min(single.minUs, us);
      single.maxUs = Math.max(single.maxUs, us);
    }
    const aggregate = new Aggregate();
    for (const t of threads) aggregate.add(t.drain());
    expect(latencyStats(aggregate.total)).toEqual(latencyStats(single));
    expect(latencyStats(single).max).toBe(100.4);
    expect(aggregate.total.requests).toBe(3000);
    expect(aggregate.total.bytesSent).toBe(30_000);
    expect(aggregate.series().map((w) => w.second)).toEqual([0, 1, 2, 3]);
  });

  it('measure from the intended send time, leave the warmup out and count failures by code', () => {
    const start = 0;
    const recorder = new Recorder(start, 1000);
    recorder.record(requestSample(ok, 500, 510, false)); // warmup
    recorder.record(requestSample(ok, 1000, 1250, true));
    recorder.record(
      requestSample(
        { ok: false, code: 'grpc 14 UNAVAILABLE', message: 'down', bytesSent: 10, bytesReceived: 0 },
        1100,
        1101,
        false,
      ),
    );
    recorder.record({ type: 'dropped', intendedMs: 1200 });
    const aggregate = new Aggregate();
    aggregate.add(recorder.drain());
    expect(aggregate.warmupRequests).toBe(1);
    expect(aggregate.total).toMatchObject({ requests: 2, failures: 1, late: 1, dropped: 1 });
    expect(latencyStats(aggregate.total).max).toBe(250);
    expect([...aggregate.total.failureKinds]).toEqual([['grpc 14 UNAVAILABLE', { count: 1, sample: 'down' }]]);
    expect(recorder.drain().windows).toEqual([]);
  });
});
