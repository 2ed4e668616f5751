import { describe, expect, it } from 'vitest';
import { DATA, HEADERS, PING, frame } from '../../../../loadtest/senders/h2-frames.js';
import { FrameReader } from '../../../../loadtest/senders/h2-frame-reader.js';

interface Seen {
  type: number;
  flags: number;
  id: number;
  payload: string;
  buf: Buffer;
}

function reader(max = 1 << 14): { reader: FrameReader; seen: Seen[] } {
  const seen: Seen[] = [];
  const r = new FrameReader(max, (type, flags, id, buf, start, end) =>
    seen.push({ type, flags, id, payload: buf.toString('latin1', start, end), buf }),
  );
  return { reader: r, seen };
}

const frames = [
  frame(HEADERS, 4, 1, Buffer.from('head')),
  frame(DATA, 0, 1, Buffer.alloc(0)),
  frame(DATA, 1, 3, Buffer.from('x'.repeat(300))),
  frame(PING, 0, 0, Buffer.from('12345678')),
];
const bytes = Buffer.concat(frames);
const expected = [
  { type: HEADERS, flags: 4, id: 1, payload: 'head' },
  { type: DATA, flags: 0, id: 1, payload: '' },
  { type: DATA, flags: 1, id: 3, payload: 'x'.repeat(300) },
  { type: PING, flags: 0, id: 0, payload: '12345678' },
];

describe('FrameReader', () => {
  it('hands over the frames of one chunk in place, without copying', () => {
    const { reader: r, seen } = reader();
    r.push(bytes);
    expect(seen.map(({ buf: _buf, ...f }) => f)).toEqual(expected);
    expect(seen.every((f) => f.buf === bytes)).toBe(true);
  });

  it('reassembles frames split at every possible byte, and in single bytes', () => {
    for (let cut = 1; cut < bytes.length; cut += 1) {
      const { reader: r, seen } = reader();
      r.push(bytes.subarray(0, cut));
      r.push(bytes.subarray(cut));
      expect(seen.map(({ buf: _buf, ...f }) => f)).toEqual(expected);
    }
    const { reader: r, seen } = reader();
    for (const byte of bytes) r.push(Buffer.from([byte]));
    expect(seen.map(({ buf: _buf, ...f }) => f)).toEqual(expected);
  });

  it('ignores the reserved bit of the stream id', () => {
    const { reader: r, seen } = reader();
    const f = frame(DATA, 0, 5, Buffer.from('a'));
    f[5] = f[5]! | 0x80;
    r.push(f);
    expect(seen[0]!.id).toBe(5);
  });

  it('fails a frame longer than the SETTINGS_MAX_FRAME_SIZE it advertised with FRAME_SIZE_ERROR', () => {
    const { reader: r } = reader(100);
    expect(() => r.push(frame(DATA, 0, 1, Buffer.alloc(101)))).toThrow(
      expect.objectContaining({ code: 6, message: expect.stringContaining('at most 100 bytes') }),
    );
  });
});
