import protobuf from 'protobufjs';

/**
 * A message in its proto3 JSON form, the form Cloud Build publishes a Build in on `cloud-builds`: enums by name,
 * 64-bit integers and bytes as strings (bytes in base64), Timestamps as RFC 3339, Durations as "600s".
 */
export function toProto3Json(type: protobuf.Type, value: Record<string, unknown>): Record<string, unknown> {
  const object = type.toObject(type.fromObject(value), { enums: String, longs: String, bytes: String, json: true });
  return wellKnown(type, object);
}

const seconds = (v: { seconds?: string | number; nanos?: number }) => Number(v.seconds ?? 0) + (v.nanos ?? 0) / 1e9;

function wellKnown(type: protobuf.Type, object: Record<string, unknown>): Record<string, unknown> {
  for (const field of type.fieldsArray) {
    const value = object[field.name];
    const nested = field.resolvedType;
    if (value === undefined || value === null || !(nested instanceof protobuf.Type)) continue;
    const one = (v: unknown): unknown => {
      const m = v as Record<string, unknown> & { seconds?: string; nanos?: number };
      if (nested.fullName === '.google.protobuf.Timestamp') return new Date(seconds(m) * 1000).toISOString();
      if (nested.fullName === '.google.protobuf.Duration') return `${seconds(m)}s`;
      return wellKnown(nested, m);
    };
    if (field.map) {
      object[field.name] = Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, one(v)]));
    } else if (field.repeated) object[field.name] = (value as unknown[]).map(one);
    else object[field.name] = one(value);
  }
  return object;
}
