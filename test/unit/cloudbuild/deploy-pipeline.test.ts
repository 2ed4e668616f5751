import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createGcpCommand } from '../../../cli/commands/gcp.js';
import { packageRoot } from '../../../shared/paths.js';
import {
  exampleConfig,
  exampleNames,
  fill,
  loadBuildConfig,
  undeclaredSubstitutions,
  untagged,
} from './build-config.js';

const file = loadBuildConfig('cloudbuild/deploy-pipeline.yaml');
const { config: pipeline, step } = file;
const tagOf = (id: string) =>
  step(id)
    .args.find((a) => a.startsWith('--tag='))
    ?.slice('--tag='.length) ?? '';
const SDK_BIN = '/workspace/.sdk/google-cloud-sdk/bin';

describe('cloudbuild/deploy-pipeline.yaml', () => {
  it('tests, builds and pushes both images, then deploys code, in that order', () => {
    expect(pipeline.steps.map((s) => s.id)).toEqual([
      'sdk',
      'test',
      'tool-image',
      'load-test-image',
      'push-tool-image',
      'push-load-test-image',
      'deploy',
    ]);
    expect(pipeline.options.logging).toBe('CLOUD_LOGGING_ONLY');
  });

  it('installs the SDK, its emulators and kubectl (.ci/run requires them) in the workspace, kept out of uploads', () => {
    const script = step('sdk').args.join(' ');
    expect(script).toContain('tar -xz -C .sdk');
    expect(script).toMatch(
      /gcloud components install (?=.*pubsub-emulator)(?=.*cloud-firestore-emulator)(?=.*kubectl)/,
    );
    // A named volume would be invisible to the nested test container.
    expect(pipeline.steps.filter((s) => s.volumes)).toEqual([]);
    for (const ignore of ['.gcloudignore', '.dockerignore'])
      expect(readFileSync(join(packageRoot, ignore), 'utf8').split('\n')).toContain('.sdk');
  });

  it('runs .ci/run in a privileged container of the workspace, so that the tests can run containers', () => {
    const test = step('test');
    expect(test.name).toBe('gcr.io/cloud-builders/docker');
    expect(test.args.slice(0, 3)).toEqual(['run', '--rm', '--privileged']);
    expect(test.args.join(' ')).toContain('-v /workspace:/workspace -w /workspace');
    expect(test.args.slice(-3)).toEqual(['node:22-bookworm', 'bash', '.ci/run']);
    const path = test.args[test.args.indexOf('-e') + 1] ?? '';
    expect(path.startsWith(`PATH=${SDK_BIN}:`)).toBe(true);
    expect(step('deploy').env).toEqual([path]);
  });

  it('uses only declared substitutions and the trigger built-ins (Cloud Build refuses others)', () => {
    expect(undeclaredSubstitutions(file, ['PROJECT_ID', 'SHORT_SHA'])).toEqual([]);
  });

  it('builds both targets of the root Dockerfile and deploys what it pushed, named as the plan names them', () => {
    const values = { ...pipeline.substitutions, PROJECT_ID: exampleConfig.project };
    for (const [kind, target, flag, name] of [
      ['tool', 'modelship', '--tool-image', exampleNames.toolImage],
      ['load-test', 'load-tester', '--load-test-image', exampleNames.loadTestImage],
    ] as const) {
      const built = tagOf(`${kind}-image`);
      expect(step(`${kind}-image`).args).toEqual([
        'build',
        '--file=Dockerfile',
        `--target=${target}`,
        `--tag=${built}`,
        '.',
      ]);
      expect(step(`push-${kind}-image`).args).toEqual(['push', built]);
      expect(step('deploy').args).toContain(`${flag}=${built}`);
      expect(untagged(fill(built, values))).toBe(name);
    }
  });

  it('runs a deploy command the CLI accepts, limited to code', async () => {
    const out: string[] = [];
    const command = createGcpCommand({
      run: async () => {
        throw new Error('plan runs nothing');
      },
      newSecret: () => '',
      sleep: async () => undefined,
      fetch,
      print: (line) => out.push(line),
    });
    const args = step('deploy')
      .args.slice(2)
      .map((a) =>
        a.startsWith('--config=')
          ? `--config=${join(packageRoot, 'modelship.config.example.yaml')}`
          : fill(a, { ...pipeline.substitutions, PROJECT_ID: 'my-project', SHORT_SHA: 'abc1234' }),
      );
    expect(args[0]).toBe('apply');
    expect(await command.run(['plan', ...args.slice(1)])).toBe(0);
    const kinds = out.filter((l) => /^\s*\d+\. \[/.test(l)).map((l) => /\[(\w+)\]/.exec(l)?.[1]);
    expect(new Set(kinds)).toEqual(new Set(['code']));
    const text = out.join('\n');
    expect(text).toContain('The tool image us-central1-docker.pkg.dev/my-project/modelship/modelship:abc1234 exists');
    expect(text).toContain(
      'The load-test image us-central1-docker.pkg.dev/my-project/modelship/load-tester:abc1234 exists',
    );
  });
});
