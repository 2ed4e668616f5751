import { describe, expect, it } from 'vitest';
import { fromWire, toWire, type FromShard } from '../../../loadtest/shard-protocol.js';
import { latencyStats } from '../../../loadtest/stats/latency.js';
import { addFailure, newWindow, type Window } from '../../../loadtest/stats/window.js';

function window(second: number): Window {
  const w = newWindow(second);
  for (let i = 1; i <= 500; i += 1) w.histogram.recordValue(i * 37);
  Object.assign(w, { requests: 501, failures: 1, late: 2, dropped: 3, bytesSent: 5010, bytesReceived: 2004 });
  Object.assign(w, { minUs: 37, maxUs: 18_500 });
  addFailure(w.failureKinds, 'grpc 14 UNAVAILABLE', 1, 'down');
  return w;
}

describe('a shard message across a worker boundary', () => {
  it('carries the windows as structured-clone data, and they come back the same', () => {
    const windows = [window(0), window(1)];
    const message: FromShard = {
      type: 'flushed',
      drained: { windows, warmupRequests: 4, loopDelay: { p99: 1, max: 2 } },
    };
    const wire = structuredClone(toWire(message));
    expect(typeof (wire as { drained: { windows: { histogram: unknown }[] } }).drained.windows[0]!.histogram).toBe(
      'string',
    );
    const back = fromWire(wire);
    if (back.type !== 'flushed') throw new Error(`expected flushed, found ${back.type}`);
    expect(back.drained.warmupRequests).toBe(4);
    expect(back.drained.loopDelay).toEqual({ p99: 1, max: 2 });
    back.drained.windows.forEach((w, i) => {
      const sent = windows[i]!;
      expect(latencyStats(w)).toEqual(latencyStats(sent));
      expect([...w.failureKinds]).toEqual([...sent.failureKinds]);
      const { histogram: _a, failureKinds: _b, ...counts } = w;
      const { histogram: _c, failureKinds: _d, ...sentCounts } = sent;
      expect(counts).toEqual(sentCounts);
    });
  });

  it('passes the messages without windows as they are', () => {
    for (const message of [{ type: 'ready' }, { type: 'failed', message: 'no', hint: 'h' }] as FromShard[])
      expect(fromWire(toWire(message))).toEqual(message);
  });
});
