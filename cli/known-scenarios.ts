import { UsageError } from '../shared/command-line.js';
import { scenarioNames, scenariosDir } from '../shared/deploy/index.js';

/**
 * A comma-separated list of scenario names, each checked against the scenario files before anything starts: a typo
 * is a usage error at once, not a run that fails at its deploy minutes later.
 */
export async function knownScenarios(flag: string, text: string): Promise<string[]> {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw new UsageError(`${flag} must name at least one scenario, not '${text}'`);
  const dir = scenariosDir();
  const known = await scenarioNames(dir);
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length) {
    throw new UsageError(
      `${flag}: no scenario ${unknown.map((n) => `'${n}'`).join(', ')} in ${dir}; expected names from ${known.join(', ')} (modelship scenarios)`,
    );
  }
  return names;
}
