import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';

/**
 * Validates plain objects against the Kubernetes API schema as @kubernetes/client-node ships it: its models are
 * generated from the Kubernetes OpenAPI spec (release-1.36), each with an attributeTypeMap (JSON field names,
 * types, integer formats) and a .d.ts whose non-optional properties are the spec's required fields. Unknown
 * fields, wrong types, non-integers where int32/int64 is due and missing required fields are all reported,
 * like `kubectl apply --validate=strict` would, without needing an API server.
 */

interface Attribute {
  name: string;
  baseName: string;
  type: string;
  format: string;
}

const modelsDir = join(dirname(fileURLToPath(import.meta.resolve('@kubernetes/client-node'))), 'gen', 'models');
const requiredCache = new Map<string, Set<string>>();

function attributes(type: string): Attribute[] | undefined {
  const model = (k8s as unknown as Record<string, { getAttributeTypeMap?: () => Attribute[] }>)[type];
  return model?.getAttributeTypeMap?.();
}

/** TS property names declared without `?` in the model's .d.ts. */
function required(type: string): Set<string> {
  let names = requiredCache.get(type);
  if (!names) {
    const dts = readFileSync(join(modelsDir, `${type}.d.ts`), 'utf8');
    names = new Set([...dts.matchAll(/^\s+'([A-Za-z0-9_$]+)': /gm)].map((m) => m[1] ?? ''));
    requiredCache.set(type, names);
  }
  return names;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function schemaProblems(value: unknown, type: string, format = '', path = '$'): string[] {
  const array = /^Array<(.+)>$/.exec(type);
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (array?.[1]) {
    if (!Array.isArray(value)) return [`${path}: expected an array, found ${JSON.stringify(value)}`];
    return value.flatMap((v, i) => schemaProblems(v, array[1] ?? '', format, `${path}[${i}]`));
  }
  if (map?.[1]) {
    if (!isPlainObject(value)) return [`${path}: expected a map, found ${JSON.stringify(value)}`];
    return Object.entries(value).flatMap(([k, v]) => schemaProblems(v, map[1] ?? '', '', `${path}.${k}`));
  }
  switch (type) {
    case 'string':
    case 'Date':
      return typeof value === 'string' ? [] : [`${path}: expected a string, found ${JSON.stringify(value)}`];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${path}: expected a boolean, found ${JSON.stringify(value)}`];
    case 'number':
      if (typeof value !== 'number') return [`${path}: expected a number, found ${JSON.stringify(value)}`];
      return format.startsWith('int') && !Number.isInteger(value) ? [`${path}: expected an integer (${format})`] : [];
    case 'IntOrString':
      return (typeof value === 'number' && Number.isInteger(value)) || typeof value === 'string'
        ? []
        : [`${path}: expected an integer or a string, found ${JSON.stringify(value)}`];
    case 'any':
    case 'object':
      return [];
  }
  const attrs = attributes(type);
  if (!attrs) return [`${path}: no schema for type ${type}`];
  if (!isPlainObject(value)) return [`${path}: expected a ${type} object, found ${JSON.stringify(value)}`];
  const problems: string[] = [];
  for (const key of Object.keys(value)) {
    if (!attrs.some((a) => a.baseName === key)) problems.push(`${path}.${key}: unknown field in ${type}`);
  }
  for (const attr of attrs) {
    const v = value[attr.baseName];
    if (v === undefined) {
      if (required(type).has(attr.name)) problems.push(`${path}.${attr.baseName}: required by ${type}`);
    } else problems.push(...schemaProblems(v, attr.type, attr.format, `${path}.${attr.baseName}`));
  }
  return problems;
}

/** The schema type of an object by its apiVersion and kind (core and apps, v1). */
export function objectProblems(object: { apiVersion?: string; kind?: string }): string[] {
  const version = object.apiVersion?.split('/').at(-1) ?? '';
  const type = `${version.charAt(0).toUpperCase()}${version.slice(1)}${object.kind ?? ''}`;
  return schemaProblems(object, type);
}
