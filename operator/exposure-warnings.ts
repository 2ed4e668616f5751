import type { Scenario } from '../shared/deploy/scenario.js';
import { loadScenario, scenariosDir } from '../shared/deploy/scenario-loader.js';

/**
 * The warning for a scenario whose model server gets a public address. TF Serving has no authentication, so
 * `service.exposure: external` lets anyone on the internet call gRPC 8500 and REST 8501; the pipeline itself never
 * needs it (the load-test job reaches the internal load balancer through Direct VPC egress).
 */
export function exposureWarning(scenario: Pick<Scenario, 'name' | 'service'>): string | undefined {
  if (scenario.service.exposure !== 'external') return undefined;
  return (
    `warning: scenario ${scenario.name} has service.exposure: external: its model server gets a public IP ` +
    'with no authentication (gRPC 8500, REST 8501); remove the line to keep it internal'
  );
}

/** The warnings of the scenarios `names`, read from `dir`, in their order. */
export async function exposureWarnings(names: readonly string[], dir = scenariosDir()): Promise<string[]> {
  const scenarios = await Promise.all(names.map((name) => loadScenario(name, dir)));
  return scenarios.map(exposureWarning).filter((w): w is string => w !== undefined);
}
