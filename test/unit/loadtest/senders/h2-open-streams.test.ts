import { describe, expect, it } from 'vitest';
import { OpenStreams } from '../../../../loadtest/senders/h2-open-streams.js';
import { h2Request } from '../../../../loadtest/senders/h2-request.js';
import { H2Stream } from '../../../../loadtest/senders/h2-stream.js';

const request = h2Request([[':method', 'POST']], Buffer.alloc(0));
function stream(id: number): H2Stream {
  const s = new H2Stream(request, false, () => undefined);
  s.id = id;
  return s;
}

describe('OpenStreams', () => {
  it('finds a stream by its id, and not by another id of the same slot', () => {
    const open = new OpenStreams();
    const first = stream(1);
    open.add(first);
    expect(open.get(1)).toBe(first);
    expect(open.get(129)).toBeUndefined();
    open.delete(129);
    expect(open.get(1)).toBe(first);
    open.delete(1);
    expect(open.get(1)).toBeUndefined();
    expect(open.size).toBe(0);
  });

  it('grows when an older stream still holds the slot, and keeps every open stream', () => {
    const open = new OpenStreams();
    const ids = Array.from({ length: 300 }, (_, i) => 2 * i + 1);
    for (const id of ids) open.add(stream(id));
    expect(open.size).toBe(300);
    for (const id of ids) expect(open.get(id)?.id).toBe(id);
    for (const id of ids.filter((id) => id % 3 === 0)) open.delete(id);
    expect(open.values().map((s) => s.id)).toEqual(ids.filter((id) => id % 3 !== 0));
  });

  it('reuses slots as streams close, in step with the ids', () => {
    const open = new OpenStreams();
    for (let id = 1; id < 100_000; id += 2) {
      open.add(stream(id));
      if (id > 40) open.delete(id - 40);
    }
    expect(open.size).toBe(20);
    expect(open.values()[0]?.id).toBe(99_961);
  });
});
