import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROLE_PERMISSIONS } from '../../../operator/gcp/roles.js';
import { describe, expect, it } from 'vitest';
import { grants, ROLE_FOR, workloadCalls } from '../../../operator/gcp/grants.js';
import { functionSpecs } from '../../../operator/gcp/function-specs.js';
import { targetLabel } from '../../../operator/gcp/iam.js';
import { parseGcpConfig } from '../../../operator/gcp/load-gcp-config.js';
import { resourceNames } from '../../../operator/gcp/names.js';
import { packageRoot } from '../../../shared/paths.js';
import { TOPICS } from '../../../shared/topics.js';
import { ENTRY_POINTS, FUNCTIONS, SERVICE_ACCOUNTS, WORKLOADS } from '../../../shared/wiring.js';

/** The one declaration of the wiring, and what `modelship gcp plan` derives from it for the example config. */
const example = readFileSync(join(packageRoot, 'modelship.config.example.yaml'), 'utf8');
const known = { scenarios: ['2n-8c-16r-interop4'] };
const config = parseGcpConfig(example, 'modelship.config.example.yaml', known);
const names = resourceNames(config);
const specs = functionSpecs(config, names, 'tool@sha256:x');
const planned = grants(config, names, specs);
const holds = (member: string, role: string, on: string) =>
  planned.some((g) => g.member === member && g.role === role && targetLabel(g.on) === on);

describe('the wiring (shared/wiring.ts)', () => {
  it('gives every identity the publisher role on every topic it may publish to, failures included', () => {
    for (const w of Object.values(WORKLOADS))
      for (const topic of w.publishes)
        expect(
          holds(names.member(w.account), 'roles/pubsub.publisher', `topic ${topic}`),
          `${w.account} → ${topic}`,
        ).toBe(true);
    // The two that were missing: a refused build and a load test that cannot run both end the run.
    expect(holds(names.member('bakeSubmitter'), 'roles/pubsub.publisher', `topic ${TOPICS.pipelineFailed}`)).toBe(true);
    expect(holds(names.member('loadTester'), 'roles/pubsub.publisher', `topic ${TOPICS.pipelineFailed}`)).toBe(true);
  });

  it('derives a grant for every call of every workload, and no publish that is not declared', () => {
    for (const w of Object.values(WORKLOADS)) {
      for (const call of workloadCalls(SERVICE_ACCOUNTS[w.account].runs, w)) {
        expect(ROLE_FOR[call.permission], call.permission).toBeDefined();
        // Its own role, or one already granted that carries it (builds.editor carries builds.get).
        const carried = (g: (typeof planned)[number]) =>
          g.role === ROLE_FOR[call.permission] || ROLE_PERMISSIONS[g.role]?.includes(call.permission);
        expect(
          planned.some((g) => g.member === names.member(w.account) && carried(g)),
          call.permission,
        ).toBe(true);
      }
      const published = planned
        .filter((g) => g.member === names.member(w.account) && g.role === 'roles/pubsub.publisher')
        .map((g) => targetLabel(g.on));
      expect(published.sort()).toEqual(w.publishes.map((t) => `topic ${t}`).sort());
    }
  });

  it('deploys each function with its declared trigger, identity, secrets and publishes; one per trigger topic', () => {
    for (const entryPoint of ENTRY_POINTS) {
      const w = FUNCTIONS[entryPoint];
      const deployed = specs.filter((s) => s.entryPoint === entryPoint);
      expect(deployed.map((s) => s.trigger)).toEqual(w.trigger === 'http' ? ['http'] : [...w.trigger]);
      for (const s of deployed) {
        expect(s.account).toBe(w.account);
        expect(s.publishes).toEqual([...w.publishes]);
        expect(Object.keys(s.secrets)).toEqual(Object.keys(w.secrets));
      }
    }
  });

  it('mounts no secret the config leaves out, and grants none', () => {
    const bare = parseGcpConfig(example.replace(/^ *tokenSecret: .*$/m, ''), 'without tokenSecret', known);
    const bareNames = resourceNames(bare);
    const bareSpecs = functionSpecs(bare, bareNames, 'tool@sha256:x');
    expect(bareSpecs.find((s) => s.entryPoint === 'reportResults')?.secrets).toEqual({});
    const accessors = grants(bare, bareNames, bareSpecs).filter((g) => g.role === 'roles/secretmanager.secretAccessor');
    expect(accessors.map((g) => targetLabel(g.on))).toEqual([`secret ${bare.github.webhookSecret}`]);
  });
});
