import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BAKE_SETTINGS } from '../../../../shared/bake/bake-params.js';
import { loadConfig, type SettingName } from '../../../../shared/config.js';
import { DEPLOY_SETTINGS } from '../../../../shared/deploy-requested.js';
import { fillPlaceholders } from '../../../../operator/gcp/action.js';
import { functionSpecs, jobEnv } from '../../../../operator/gcp/function-specs.js';
import { parseGcpConfig } from '../../../../operator/gcp/load-gcp-config.js';
import { resourceNames } from '../../../../operator/gcp/names.js';
import { imageByDigest } from '../../../../operator/gcp/plan-images.js';
import { WEBHOOK_SETTINGS } from '../../../../shared/github/webhook.js';
import { packageRoot } from '../../../../shared/paths.js';

/**
 * The contract between the plan and the functions: what apply sets is what each function reads at start-up
 * (shared/config.ts), and every value passes the function's own validation, so a deployed function never fails
 * to start on its configuration.
 */

const READS: Record<string, readonly SettingName[]> = {
  githubWebhook: WEBHOOK_SETTINGS,
  bakeModel: BAKE_SETTINGS,
  onBuildFinished: ['DEPLOY_SCENARIOS', 'CLOUD_BUILD_EMULATOR_HOST'], // functions/on-build-finished.ts
  deployScenario: [...DEPLOY_SETTINGS, 'GKE_CLUSTER', 'KUBECONFIG'], // functions/deploy-scenario.ts
  launchLoadTest: ['LOAD_TEST_JOB', 'CLOUD_RUN_EMULATOR_HOST'], // functions/launch-load-test.ts
  reportResults: ['GITHUB_TOKEN', 'GITHUB_API_URL', 'REPORT_BUCKET'], // functions/report-results.ts
  watchRuns: ['CLOUD_RUN_EMULATOR_HOST', 'STAGE_GRACE_S'], // functions/watch-runs.ts
};

const text = readFileSync(join(packageRoot, 'modelship.config.example.yaml'), 'utf8');
const config = parseGcpConfig(text, 'example.yaml', { scenarios: ['2n-8c-16r-interop4'] });
const names = resourceNames(config);
const digest = {
  TOOL_DIGEST: `sha256:${'0'.repeat(64)}`,
  GCRANE_DIGEST: `sha256:${'1'.repeat(64)}`,
  BASE_DIGEST: `sha256:${'2'.repeat(64)}`,
};
const images = { tool: `${names.toolImage}:src-1`, loadTester: `${names.loadTestImage}:src-1` };
const specs = functionSpecs(config, names, imageByDigest(images, 'tool'));

describe('function environments', () => {
  it.each(specs.map((s) => [s.name, s] as const))('%s starts with what apply sets', (_, spec) => {
    const env = Object.fromEntries(Object.entries(spec.env).map(([k, v]) => [k, fillPlaceholders(v, digest)]));
    // Mounted secrets arrive as variables too.
    for (const key of Object.keys(spec.secrets)) env[key] = 'a-mounted-secret-value-of-some-length';
    const reads = READS[spec.entryPoint] ?? [];
    expect(reads.length).toBeGreaterThan(0);
    expect(() => loadConfig(['GOOGLE_CLOUD_PROJECT', ...reads], env)).not.toThrow();
    expect(loadConfig(['GOOGLE_CLOUD_PROJECT'], env).GOOGLE_CLOUD_PROJECT).toBe('my-project');
  });

  it('points the bake at the tool image (root, for the root-owned /workspace) and gcrane by digest, and the models repository', () => {
    const bake = specs.find((s) => s.entryPoint === 'bakeModel');
    expect(bake?.env.MODELSHIP_IMAGE).toBe('us-central1-docker.pkg.dev/my-project/modelship/modelship@${TOOL_DIGEST}');
    expect(bake?.env.GCRANE_IMAGE).toBe('gcr.io/go-containerregistry/gcrane@${GCRANE_DIGEST}');
    expect(bake?.env.TARGET_IMAGE_REPOSITORY).toBe('us-central1-docker.pkg.dev/my-project/modelship-models/resnet');
  });

  it("gives GitHub Enterprise's API URL to each function that checks asset URLs against it or calls it", () => {
    const ghe = parseGcpConfig(text.replace('# apiUrl:', 'apiUrl:'), 'example.yaml', {
      scenarios: ['2n-8c-16r-interop4'],
    });
    const withUrl = functionSpecs(ghe, resourceNames(ghe), imageByDigest(images, 'tool'))
      .filter((s) => s.env.GITHUB_API_URL === 'https://github.example.com/api/v3')
      .map((s) => s.entryPoint);
    expect(withUrl).toEqual(['githubWebhook', 'bakeModel', 'reportResults', 'reportResults', 'reportResults']);
  });

  it('gives the load-test job a report bucket it accepts', () => {
    expect(loadConfig(['GOOGLE_CLOUD_PROJECT', 'REPORT_BUCKET'], jobEnv(config)).REPORT_BUCKET).toBe(
      'gs://my-project-modelship-reports',
    );
  });
});
