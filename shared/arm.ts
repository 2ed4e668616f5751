import type { Arm } from './messages.js';

/**
 * A candidate of a run is a scenario on one side of a comparison (its arm): the release's image, or the serving
 * image as that scenario's baseline (shared/candidates.ts).
 */

/** The key of a candidate in the run record: the scenario's name, or `NAME~baseline` for its baseline. */
export const armKey = (scenario: string, arm: Arm = 'release'): string =>
  arm === 'baseline' ? `${scenario}~baseline` : scenario;

/** The scenario and arm a key stands for. */
export function armOf(key: string): { scenario: string; arm: Arm } {
  const scenario = key.replace(/~baseline$/, '');
  return { scenario, arm: scenario === key ? 'release' : 'baseline' };
}

/** The deployment a candidate is rendered as: its own objects, beside the serving ones. */
export const roleOf = (arm: Arm | undefined) => (arm === 'baseline' ? ('baseline' as const) : ('candidate' as const));

/** The message fields that name a candidate: `arm` only for a baseline, so a release's messages stay as they were. */
export const armFields = (arm: Arm | undefined) => (arm === 'baseline' ? { arm } : {});
