import { createHash } from 'node:crypto';
import { ModelshipError } from '../errors.js';
import { SCENARIO_NAME } from './scenario.js';

/**
 * The names of a scenario's objects by the role they play. The serving deployment keeps the names it always had
 * (clusters deployed before roles existed go on as they are); a candidate (`tfs-c-SCENARIO`) and a baseline
 * (`tfs-b-SCENARIO`: the image serving now, deployed with the candidate's scenario for a fair comparison) get names
 * of their own, so they run beside the serving deployment and never touch it.
 */

export type Role = 'serving' | 'candidate' | 'baseline';

export interface ObjectNames {
  deployment: string;
  /** The LoadBalancer Service. */
  service: string;
  headless: string;
  configMap: string;
  container: string;
}

export const ROLE_LABEL = 'modelship.dev/role';
export const RUN_LABEL = 'modelship.dev/run';
/** What each role's Deployment and Services select by; serving's is what its Deployment was created with. */
export const NAME_LABEL = 'app.kubernetes.io/name';

const SERVING: ObjectNames = {
  deployment: 'tfs-server',
  service: 'tfs-server',
  headless: 'tfs-server-headless',
  configMap: 'tfs-server-batching',
  container: 'tfs-k8s',
};

const PREFIX: Record<Exclude<Role, 'serving'>, string> = { candidate: 'tfs-c-', baseline: 'tfs-b-' };
/** A Service name is a DNS-1035 label (at most 63 characters); the longest suffix is `-headless`. */
const MAX_LABEL = 63;
const MAX_BASE = MAX_LABEL - '-headless'.length;
const HASH_LENGTH = 8;

/** `tfs-c-SCENARIO`, or when that is too long, a prefix of the scenario name and a hash of all of it. */
function baseName(prefix: string, scenario: string): string {
  const full = `${prefix}${scenario}`;
  if (full.length <= MAX_BASE) return full;
  const hash = createHash('sha256').update(scenario).digest('hex').slice(0, HASH_LENGTH);
  const kept = scenario.slice(0, MAX_BASE - prefix.length - HASH_LENGTH - 1).replace(/-+$/, '');
  return `${prefix}${kept}-${hash}`;
}

export function objectNames(role: Role, scenario: string): ObjectNames {
  if (role === 'serving') return { ...SERVING };
  if (!SCENARIO_NAME.test(scenario)) {
    throw new ModelshipError(
      `scenario name '${scenario}' cannot name a ${role}'s objects: expected lower-case letters, digits and dashes, at most 63`,
      { hint: 'name the scenario file as a DNS label' },
    );
  }
  const base = baseName(PREFIX[role], scenario);
  return {
    deployment: base,
    service: base,
    headless: `${base}-headless`,
    configMap: `${base}-batching`,
    container: SERVING.container,
  };
}

/** The label selector of a role's Deployment and Services: immutable once a Deployment is created. */
export function roleSelector(names: ObjectNames): Record<string, string> {
  return { [NAME_LABEL]: names.deployment };
}

/** `k=v,k2=v2`, as a list request takes it. */
export function selectorText(selector: Record<string, string>): string {
  return Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}
