import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../../../shared/config.js';
import { ConfigError } from '../../../../shared/errors.js';
import { parseGcpConfig } from '../../../../operator/gcp/load-gcp-config.js';
import { packageRoot } from '../../../../shared/paths.js';

const known = { scenarios: ['2n-8c-16r-interop4', '4n-4c-8r-interop2'] };
const example = readFileSync(join(packageRoot, 'modelship.config.example.yaml'), 'utf8');

const minimal = `project: my-project
region: us-central1
github:
  repositories: [my-org/my-model]
cluster:
  name: tfserving
  location: us-central1-a
bucket: my-reports
`;

function problems(text: string): string[] {
  try {
    parseGcpConfig(text, 'deploy.yaml', known);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('parseGcpConfig', () => {
  it('reads the example config shipped in the repository', () => {
    const config = parseGcpConfig(example, 'modelship.config.example.yaml', known);
    expect(config.project).toBe('my-project');
    expect(config.cluster).toMatchObject({ name: 'tfserving', location: 'us-central1-a', namespace: 'default' });
    expect(config.loadTest).toMatchObject({ cpu: 4, memory: '4Gi', timeout: '3600s' });
  });

  it('fills every default of a minimal config', () => {
    const config = parseGcpConfig(minimal, 'deploy.yaml', known);
    expect(config.scenarios).toEqual(['2n-8c-16r-interop4']);
    expect(config.functions.runtime).toBe('nodejs22');
    expect(config.github).toMatchObject({
      webhookSecret: 'modelship-webhook-secret',
      modelAsset: 'saved_model.tar.gz',
    });
    expect(config.github.tokenSecret).toBeUndefined();
    expect(config.registry).toEqual({ models: 'modelship-models', pipeline: 'modelship' });
    expect(config.model.baseImage).toBe('gcr.io/gcp-ml-172005/tfs-resnet-cpu-opt');
    expect(config.model.gcraneImage).toBe(SETTINGS.GCRANE_IMAGE.default);
  });

  it('names the file, the line and the field of an unknown field, with the fields allowed', () => {
    const found = problems(minimal.replace('  location: us-central1-a', '  location: us-central1-a\n  zone: x'));
    expect(found).toEqual([
      'deploy.yaml:8: cluster: unknown field zone; allowed: name, location, project, namespace, nodeServiceAccount',
    ]);
  });

  it('lists every problem at once, each with what is allowed and what was found', () => {
    const text = minimal
      .replace('project: my-project', 'project: My_Project')
      .replace('region: us-central1', 'region: us-central1-a')
      .replace('bucket: my-reports', 'bucket: my-reports\nfunctions:\n  runtime: nodejs18');
    const found = problems(text);
    expect(found).toHaveLength(3);
    expect(found[0]).toMatch(/^deploy\.yaml:1: project: must be a project id: .*; found "My_Project"$/);
    expect(found[1]).toMatch(
      /^deploy\.yaml:2: region: must be a region such as us-central1 \(not a zone\); found "us-central1-a"$/,
    );
    expect(found[2]).toBe(
      'deploy.yaml:10: functions.runtime: expected one of "nodejs20", "nodejs22"; found "nodejs18"',
    );
  });

  it('says which required field is missing', () => {
    expect(problems(minimal.replace(/cluster:\n.*\n.*\n/, ''))).toEqual(['deploy.yaml:1: cluster: required (object)']);
  });

  it('rejects a scenario that has no file, naming the ones there are', () => {
    expect(problems(`${minimal}scenarios: [2n-8c-16r-interop4, huge]\n`)).toEqual([
      "deploy.yaml:9: scenarios.1: unknown scenario 'huge'; allowed: 2n-8c-16r-interop4, 4n-4c-8r-interop2",
    ]);
  });

  it('keeps secrets out of plain environment variables', () => {
    const found = problems(`${minimal}functions:\n  env:\n    reportResults: {GITHUB_TOKEN: ghp_x}\n`);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(
      'functions.env.reportResults.GITHUB_TOKEN: looks like a secret: store it in Secret Manager',
    );
  });

  it("checks a function's extra variables with the function's own settings", () => {
    const found = problems(`${minimal}functions:\n  env:\n    githubWebhook: {MAX_WEBHOOK_BYTES: lots}\n`);
    expect(found).toEqual([
      expect.stringMatching(
        /^deploy\.yaml:11: functions\.env\.githubWebhook: MAX_WEBHOOK_BYTES="lots" must be a whole number/,
      ),
    ]);
  });

  it('rejects an unknown entry point for extra variables', () => {
    const found = problems(`${minimal}functions:\n  env:\n    bakeModle: {X: y}\n`);
    expect(found).toEqual([
      'deploy.yaml:11: functions.env: unknown field bakeModle; allowed: githubWebhook, bakeModel, onBuildFinished, ' +
        'deployScenario, launchLoadTest, reportResults, watchRuns',
    ]);
  });

  it('takes prebuilt images as a pair: one build makes both', () => {
    const image = 'r/modelship/load-tester:v1';
    expect(problems(`${minimal}loadTest:\n  image: ${image}\n`)).toEqual([
      'deploy.yaml:10: loadTest.toolImage: required with loadTest.image',
    ]);
    expect(problems(`${minimal}loadTest:\n  toolImage: r/modelship/modelship:v1\n`)).toEqual([
      'deploy.yaml:10: loadTest.image: required with loadTest.toolImage',
    ]);
    const both = `${minimal}loadTest:\n  image: ${image}\n  toolImage: r/modelship/modelship:v1\n`;
    expect(parseGcpConfig(both, 'deploy.yaml', known).loadTest).toMatchObject({ image, cpu: 4 });
  });

  it('reports YAML syntax errors with their line', () => {
    expect(problems('project: x\nregion: [unclosed\nbucket: y\n')[0]).toMatch(/^deploy\.yaml:[23]: /);
    expect(problems('- a list\n')).toEqual(['deploy.yaml: expected a mapping of fields (project, region, ...)']);
  });
});
