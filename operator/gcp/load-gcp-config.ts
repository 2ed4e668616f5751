import { readFile } from 'node:fs/promises';
import { isMap, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { loadConfig, SETTINGS, type SettingName } from '../../shared/config.js';
import { ConfigError } from '../../shared/errors.js';
import { GcpConfigSchema, type GcpConfig } from './config-schema.js';

/**
 * Reads `modelship.config.yaml`. Every problem is reported at once, each as `FILE:LINE: field: what is wrong`
 * with what is allowed, so a person fixes the file in one pass. Values that end up in a function's environment
 * are also checked with the function's own settings table, so a value the function would reject at start-up is
 * rejected here, before anything is deployed.
 */

export interface KnownNames {
  /** The scenario files there are (scenarios/NAME.yaml). */
  scenarios: readonly string[];
}

/** The fields a strict object allows at `path` (through defaults, optionals and arrays). */
function allowedFields(path: readonly PropertyKey[]): string[] {
  let node: z.ZodType = GcpConfigSchema;
  for (const key of [...path, undefined]) {
    while (node instanceof z.ZodDefault || node instanceof z.ZodOptional) node = node.unwrap() as z.ZodType;
    if (node instanceof z.ZodArray) node = node.element as z.ZodType;
    if (node instanceof z.ZodRecord) {
      if (key === undefined) return node.keyType instanceof z.ZodEnum ? (node.keyType.options as string[]) : [];
      node = node.valueType as z.ZodType;
      continue;
    }
    if (!(node instanceof z.ZodObject)) return [];
    if (key === undefined) return Object.keys(node.shape);
    node = node.shape[String(key)] as z.ZodType;
  }
  return [];
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
  switch (issue.code) {
    case 'unrecognized_keys':
      return `${field}: unknown field ${issue.keys.join(', ')}; allowed: ${allowedFields(issue.path).join(', ')}`;
    case 'invalid_value':
      return `${field}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}; found ${JSON.stringify(issue.input)}`;
    case 'invalid_key':
      return `${field}: ${issue.issues.map((i) => i.message).join('; ')}`;
    case 'invalid_union':
      return `${field}: ${issue.message}; found ${JSON.stringify(issue.input)}`;
    default:
      if (issue.code === 'invalid_type' && issue.input === undefined) return `${field}: required (${issue.expected})`;
      if (issue.input === undefined) return `${field}: ${issue.message}`;
      return `${field}: ${issue.message}; found ${JSON.stringify(issue.input)}`;
  }
}

type Ranged = { range?: [number, number, number] } | null | undefined;

/** `FILE:LINE` of the deepest node of `path` the document has; of the key itself for an unknown field. */
function where(doc: Document, lines: LineCounter, file: string, path: readonly PropertyKey[], key?: string): string {
  const at = (node: unknown) => {
    const offset = (node as Ranged)?.range?.[0];
    return offset === undefined ? undefined : `${file}:${lines.linePos(offset).line}`;
  };
  const parent = path.length === 0 ? doc.contents : doc.getIn(path as (string | number)[], true);
  const pair = isMap(parent) ? parent.items.find((p) => (p.key as { value?: unknown }).value === key) : undefined;
  if (pair) return at(pair.key) ?? file;
  for (let n = path.length; n >= 0; n--) {
    const found = at(n === 0 ? doc.contents : doc.getIn(path.slice(0, n) as (string | number)[], true));
    if (found) return found;
  }
  return file;
}

/** Each function's extra variables that the function reads, checked with its own parsers (shared/config.ts). */
function settingsProblems(config: GcpConfig): { path: string[]; message: string }[] {
  const problems: { path: string[]; message: string }[] = [];
  for (const [entryPoint, env] of Object.entries(config.functions.env)) {
    const names = Object.keys(env ?? {}).filter((k): k is SettingName => k in SETTINGS);
    try {
      loadConfig(names, env);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      for (const p of err.problems) problems.push({ path: ['functions', 'env', entryPoint], message: p });
    }
  }
  return problems;
}

/** Parses and validates the text of a config file; throws one ConfigError listing every problem. */
export function parseGcpConfig(text: string, file: string, known: KnownNames): GcpConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((e) => `${file}:${lines.linePos(e.pos[0]).line}: ${e.message}`));
  }
  if (!isMap(doc.contents)) throw new ConfigError([`${file}: expected a mapping of fields (project, region, ...)`]);
  const parsed = GcpConfigSchema.safeParse(doc.toJS(), { reportInput: true });
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const key = i.code === 'unrecognized_keys' ? i.keys[0] : undefined;
        return `${where(doc, lines, file, i.path, key)}: ${describeIssue(i)}`;
      }),
    );
  }
  const config = parsed.data;
  const problems = config.scenarios
    .map((s, i) => ({ s, i }))
    .filter(({ s }) => !known.scenarios.includes(s))
    .map(({ s, i }) => ({
      path: ['scenarios', String(i)],
      message: `unknown scenario '${s}'; allowed: ${known.scenarios.join(', ')}`,
    }))
    .concat(settingsProblems(config));
  if (problems.length > 0) {
    throw new ConfigError(problems.map((p) => `${where(doc, lines, file, p.path)}: ${p.path.join('.')}: ${p.message}`));
  }
  return config;
}

export async function loadGcpConfig(file: string, known: KnownNames): Promise<GcpConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    const start = code === 'ENOENT' ? ': copy modelship.config.example.yaml to start one' : '';
    throw new ConfigError([`${file}: cannot read the config file (${code})${start}`], { cause: err });
  }
  return parseGcpConfig(text, file, known);
}
