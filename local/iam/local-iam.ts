import { functionSpecs } from '../../operator/gcp/function-specs.js';
import { grants as planGrants } from '../../operator/gcp/grants.js';
import type { Grant } from '../../operator/gcp/iam.js';
import { resourceNames, type Names } from '../../operator/gcp/names.js';
import { FUNCTIONS, WORKLOADS, type AccountKey, type EntryPoint } from '../../shared/wiring.js';
import { localGcpConfig } from '../local-gcp-config.js';
import { startIamGateway, type Denial, type IamGateway } from './gateway.js';
import type { GatewayService } from './methods.js';
import { createPolicy } from './policy.js';

/**
 * IAM in the local stack: the grants `modelship gcp plan` makes for a project of this id, enforced by the gateway.
 * Each workload runs as its service account by being given emulator hosts that are its own gateway listeners, and
 * gets a secret only when it mounts it and its account may read it, as Cloud Run starts a revision.
 */
export interface LocalIam {
  names: Names;
  /** The grants enforced: the plan's, minus any a test took away. */
  grants: readonly Grant[];
  /** Every refused call, in order. */
  readonly denials: readonly Denial[];
  /** Resolves with the first refused call that matches, past or future. */
  denied(match: (d: Denial) => boolean): Promise<Denial>;
  /** The environment that makes a process this account: each Google API through its own gateway listener. */
  envFor(account: AccountKey): Promise<Record<string, string>>;
  /** `env` without the secrets this function does not mount; throws as Cloud Run does when one may not be read. */
  secretsFor(entryPoint: EntryPoint, env: Record<string, string | undefined>): Record<string, string | undefined>;
  stop(): Promise<void>;
}

/** The variable each Google client reads its endpoint from, per gateway service. */
const HOST_VARIABLES: Record<GatewayService, string> = {
  pubsub: 'PUBSUB_EMULATOR_HOST',
  firestore: 'FIRESTORE_EMULATOR_HOST',
  cloudbuild: 'CLOUD_BUILD_EMULATOR_HOST',
  run: 'CLOUD_RUN_EMULATOR_HOST',
};

const SECRET_VARIABLES = new Set(Object.values(WORKLOADS).flatMap((w) => Object.keys(w.secrets)));

export function startLocalIam(o: {
  project: string;
  upstreams: Partial<Record<GatewayService, string>>;
  /** Takes grants away from the plan, to show what breaks without them. */
  revoke?: (g: Grant) => boolean;
}): LocalIam {
  const config = localGcpConfig(o.project);
  const names = resourceNames(config);
  const grants = planGrants(config, names, functionSpecs(config, names, 'the modelship image')).filter(
    (g) => !o.revoke?.(g),
  );
  const waiting: Array<{ match: (d: Denial) => boolean; resolve: (d: Denial) => void }> = [];
  const gateway: IamGateway = startIamGateway({
    project: o.project,
    grants,
    upstreams: o.upstreams,
    onDenial: (d) => {
      for (const w of waiting.filter((x) => x.match(d))) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(d);
      }
    },
  });
  const policy = createPolicy(o.project, grants);
  return {
    names,
    grants,
    denials: gateway.denials,
    denied: (match) => {
      const past = gateway.denials.find(match);
      return past ? Promise.resolve(past) : new Promise((resolve) => waiting.push({ match, resolve }));
    },
    async envFor(account) {
      const services = Object.keys(o.upstreams) as GatewayService[];
      const member = names.member(account);
      const hosts = await Promise.all(services.map((s) => gateway.hostFor(member, s)));
      return Object.fromEntries(services.map((s, i) => [HOST_VARIABLES[s], hosts[i] as string]));
    },
    secretsFor(entryPoint, env) {
      const { account, secrets } = FUNCTIONS[entryPoint];
      const out = Object.fromEntries(Object.entries(env).filter(([k]) => !SECRET_VARIABLES.has(k) || k in secrets));
      for (const [variable, key] of Object.entries(secrets)) {
        const id = config.github[key];
        if (out[variable] === undefined || !id) continue;
        const secret = `projects/${o.project}/secrets/${id}`;
        if (!policy.allows(names.member(account), 'secretmanager.versions.access', secret)) {
          // Cloud Run's words when a revision's service account may not read a mounted secret.
          throw new Error(
            `${entryPoint}: Permission denied on secret: ${secret}/versions/latest for Revision service account ` +
              `${names.email(account)}. The service account used must be granted the 'Secret Manager Secret ` +
              `Accessor' role (roles/secretmanager.secretAccessor) at the secret, project or higher level.`,
          );
        }
      }
      return out;
    },
    stop: () => gateway.stop(),
  };
}
