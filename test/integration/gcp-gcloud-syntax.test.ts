import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fillPlaceholders } from '../../operator/gcp/action.js';
import { buildPlan } from '../../operator/gcp/build-plan.js';
import { parseGcpConfig } from '../../operator/gcp/load-gcp-config.js';
import { packageRoot } from '../../shared/paths.js';
import { deployRoutes } from '../fixtures/gcp/fake-deploy-routes.js';
import { kubeRoutes } from '../fixtures/gcp/fake-kube-routes.js';
import { resourceRoutes } from '../fixtures/gcp/fake-resource-routes.js';

/**
 * Every gcloud command the plan can run, given to the real gcloud of the Google Cloud SDK (required on the test
 * machines), signed in as nobody: gcloud parses the whole command line (commands, flags, the values of enumerated
 * flags) before it looks for credentials, so a command that fails on credentials is valid syntax for this SDK, and
 * one that fails with exit code 2 is not. Nothing reaches the network: there are no credentials and the metadata
 * server is not consulted. gcloud takes a second to start, so: the commands that change things and the lookups
 * (the reads are all `describe NAME --project=P --format=json`), one per shape (command and flag names).
 */

const config = parseGcpConfig(readFileSync(join(packageRoot, 'modelship.config.example.yaml'), 'utf8'), 'example', {
  scenarios: ['2n-8c-16r-interop4'],
});
const plan = buildPlan(config, { sourceDir: '.', sourceHash: '0123456789abcdef', stateDir: '.modelship/gcp' });
const values: Record<string, string> = {
  PROJECT_NUMBER: '123456789012',
  KUBECONFIG_FILE: '.modelship/gcp/kubeconfig',
  LOADTEST_DIGEST: `sha256:${'0'.repeat(64)}`,
  TOOL_DIGEST: `sha256:${'1'.repeat(64)}`,
  GCRANE_DIGEST: `sha256:${'2'.repeat(64)}`,
  BASE_DIGEST: `sha256:${'3'.repeat(64)}`,
  NODE_SERVICE_ACCOUNT: '123456789012-compute@developer.gserviceaccount.com',
};
for (const name of Object.keys(plan.lookups)) {
  if (name.startsWith('TRIGGER_')) values[name] = 'projects/my-project/locations/us-central1/triggers/t-1';
  if (name.startsWith('SUBSCRIPTION_')) values[name] = 'projects/my-project/subscriptions/eventarc-s-1';
}

const paths = [...resourceRoutes, ...deployRoutes, ...kubeRoutes]
  .map((r) => r.path)
  .filter((p) => !p.startsWith('kubectl'));
const commands = [
  ...plan.actions.flatMap((a) => [a.create, a.update]),
  ...Object.values(plan.lookups).map((l) => l.command),
].flatMap((c) => (c && c.argv[0] === 'gcloud' ? [c.argv.map((arg) => fillPlaceholders(arg, values))] : []));
const shapes = new Map<string, string[]>();
for (const argv of commands) {
  const words = argv.slice(1).join(' ');
  const path = paths.filter((p) => words === p || words.startsWith(`${p} `)).sort((a, b) => b.length - a.length)[0];
  const flags = argv.filter((a) => a.startsWith('--')).map((a) => a.replace(/=.*/, ''));
  shapes.set(`${path ?? words} ${flags.sort().join(' ')}`, argv);
}

const config_dir = mkdtempSync(join(tmpdir(), 'modelship-gcloud-'));
afterAll(() => rmSync(config_dir, { recursive: true, force: true }));
const env: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: config_dir,
  CLOUDSDK_CONFIG: config_dir,
  CLOUDSDK_CORE_ACCOUNT: 'nobody@example.invalid',
  CLOUDSDK_CORE_CHECK_GCE_METADATA: 'false',
  CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
  CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: '1',
  CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
};

function gcloud(argv: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('gcloud', argv.slice(1), { cwd: packageRoot, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('the plan against the real gcloud', () => {
  it('uses only commands, flags and values this gcloud accepts', { timeout: 240_000 }, async () => {
    expect(shapes.size).toBeGreaterThan(20);
    // A gcr.io image's digest, read through the registry API (plan-images.ts says why not `artifacts`).
    expect(shapes.has('container images describe --format --project')).toBe(true);
    const queue = [...shapes.values()];
    const rejected: string[] = [];
    const worker = async () => {
      for (let argv = queue.shift(); argv; argv = queue.shift()) {
        const { code, stderr } = await gcloud(argv);
        if (code !== 1 || !/does not have any valid credentials/.test(stderr)) {
          rejected.push(`${argv.join(' ')}\n  → exit ${code}: ${stderr.trim().split('\n')[0]}`);
        }
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    expect(rejected).toEqual([]);
  });
});
