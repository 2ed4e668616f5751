import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, ModelshipError } from '../errors.js';
import { packageRoot } from '../paths.js';
import { resolveScenario, SCENARIO_NAME, ScenarioFileSchema, type Scenario } from './scenario.js';

/** Scenario files: `scenarios/NAME.yaml`, the name being the file's. Every problem is reported with file and field. */

export const DEFAULT_SCENARIO = '2n-8c-16r-interop4';

/** The scenarios: SCENARIOS_DIR when set (a team's own), else the ones shipped in scenarios/. */
export const scenariosDir = (): string => process.env.SCENARIOS_DIR || join(packageRoot, 'scenarios');

/** A scenario name that names no file: the message lists the ones there are. */
export class UnknownScenarioError extends ModelshipError {
  override readonly name = 'UnknownScenarioError';
}

/** The keys a strict object schema allows at `path`, for "unknown field" messages. */
function allowedKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let node: unknown = schema;
  for (const key of [...path, undefined]) {
    for (;;) {
      const def = (node as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
      if (!def) return [];
      if (def.type === 'object' && key === undefined) return Object.keys(def.shape as object);
      if (def.type === 'object') {
        node = (def.shape as Record<string, unknown>)[String(key)];
        break;
      }
      if (def.type === 'array') {
        node = def.element;
        break;
      }
      node = def.innerType ?? def.in;
    }
  }
  return [];
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeys(ScenarioFileSchema, issue.path);
    return `${where}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}; allowed: ${allowed.join(', ')}`;
  }
  if (issue.code === 'invalid_value') {
    return `${where}: expected one of ${issue.values.join(', ')}; found ${JSON.stringify(issue.input)}`;
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) return `${where}: required (${issue.expected})`;
  return `${where}: ${issue.message}; found ${JSON.stringify(issue.input)}`;
}

/** Parses one scenario file's text; throws a ConfigError whose every line starts with the file name. */
export function parseScenario(text: string, file: string): Scenario {
  const name = basename(file).replace(/\.ya?ml$/, '');
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const message = e.message.replace(/ at line \d+, column \d+:[\s\S]*$/, '');
        return `${file}:${e.linePos?.[0].line ?? '?'}:${e.linePos?.[0].col ?? '?'}: ${message}`;
      }),
    );
  }
  const parsed = ScenarioFileSchema.safeParse(doc.toJS(), { reportInput: true });
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => `${file}: ${describeIssue(i)}`));
  const { scenario, problems } = resolveScenario(name, parsed.data);
  if (!scenario) throw new ConfigError(problems.map((p) => `${file}: ${p}`));
  return scenario;
}

/** The names of the scenarios in `dir`, sorted. */
export async function scenarioNames(dir = scenariosDir()): Promise<string[]> {
  const files = await readdir(dir);
  return files
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}

/** One scenario by name; an unknown name fails before any file is read, naming the scenarios there are. */
export async function loadScenario(name: string, dir = scenariosDir()): Promise<Scenario> {
  const names = await scenarioNames(dir);
  if (!SCENARIO_NAME.test(name) || !names.includes(name)) {
    throw new UnknownScenarioError(`unknown scenario '${name}': expected one of ${names.join(', ')}`, {
      hint: `scenarios are the files ${join(dir, '*.yaml')}; \`modelship scenarios\` lists them`,
    });
  }
  const file = join(dir, `${name}.yaml`);
  return parseScenario(await readFile(file, 'utf8'), file);
}

/** Every scenario in `dir`; one ConfigError lists the problems of all bad files at once. */
export async function loadScenarios(dir = scenariosDir()): Promise<Scenario[]> {
  const scenarios: Scenario[] = [];
  const problems: string[] = [];
  for (const name of await scenarioNames(dir)) {
    const file = join(dir, `${name}.yaml`);
    try {
      scenarios.push(parseScenario(await readFile(file, 'utf8'), file));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return scenarios;
}
