import { STATIC_TABLE } from './hpack-static-table.js';

/**
 * Encodes a fixed list of header fields once (RFC 7541), for a block sent unchanged with every request: a field
 * in the static table is its index; any other is a literal without indexing (its name by static index when
 * the table has it) with raw strings. No dynamic table is used, so the block never depends on what was sent before.
 */
export function encodeHeaderBlock(fields: readonly (readonly [name: string, value: string])[]): Buffer {
  const bytes: number[] = [];
  for (const [name, value] of fields) {
    const exact = STATIC_TABLE.findIndex(([n, v]) => n === name && v === value);
    if (exact >= 0) {
      integer(bytes, 0x80, 7, exact + 1);
      continue;
    }
    const named = STATIC_TABLE.findIndex(([n]) => n === name);
    integer(bytes, 0x00, 4, named + 1);
    if (named < 0) string(bytes, name);
    string(bytes, value);
  }
  return Buffer.from(bytes);
}

/** An integer with an N-bit prefix, after the pattern bits `high`. */
function integer(bytes: number[], high: number, prefixBits: number, value: number): void {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    bytes.push(high | value);
    return;
  }
  bytes.push(high | max);
  let rest = value - max;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
}

function string(bytes: number[], text: string): void {
  const octets = Buffer.from(text, 'latin1');
  integer(bytes, 0x00, 7, octets.length);
  bytes.push(...octets);
}
