/**
 * Just enough of the protobuf wire format to read a few fields of a request without its .proto: the gateway needs
 * a resource name or two, never the whole message. A field path walks nested messages by field number.
 */

type Value = bigint | Buffer;

/** Every field of one message, by number, in wire order (a repeated field has several values). */
function fieldsOf(message: Buffer): Map<number, Value[]> {
  const out = new Map<number, Value[]>();
  let at = 0;
  const varint = (): bigint => {
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (at >= message.length) throw new Error('truncated protobuf varint');
      const byte = message[at++] as number;
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return value;
    }
  };
  const take = (n: number): Buffer => {
    if (at + n > message.length) throw new Error('truncated protobuf field');
    const bytes = message.subarray(at, at + n);
    at += n;
    return bytes;
  };
  while (at < message.length) {
    const tag = varint();
    const field = Number(tag >> 3n);
    const wireType = Number(tag & 7n);
    let value: Value;
    if (wireType === 0) value = varint();
    else if (wireType === 1) value = take(8);
    else if (wireType === 2) value = take(Number(varint()));
    else if (wireType === 5) value = take(4);
    else throw new Error(`unsupported protobuf wire type ${wireType}`);
    out.set(field, [...(out.get(field) ?? []), value]);
  }
  return out;
}

/** The values at a field path: each step but the last must be a message field (its first occurrence). */
export function valuesAt(message: Buffer, path: readonly number[]): Value[] {
  let current: Buffer | undefined = message;
  for (const [i, field] of path.entries()) {
    if (!current) return [];
    const values: Value[] = fieldsOf(current).get(field) ?? [];
    if (i === path.length - 1) return values;
    const next: Value | undefined = values[0];
    current = Buffer.isBuffer(next) ? next : undefined;
  }
  return [];
}

/** The string at a field path, or undefined when it is absent or empty (proto3 does not send defaults). */
export function stringAt(message: Buffer, path: readonly number[]): string | undefined {
  const value = valuesAt(message, path)[0];
  return Buffer.isBuffer(value) && value.length > 0 ? value.toString('utf8') : undefined;
}

/** Whether a field (a message, usually) is present. */
export function hasField(message: Buffer, path: readonly number[]): boolean {
  return valuesAt(message, path).length > 0;
}

/** Every occurrence of a repeated message field. */
export function messagesAt(message: Buffer, path: readonly number[]): Buffer[] {
  return valuesAt(message, path).filter((v): v is Buffer => Buffer.isBuffer(v));
}
