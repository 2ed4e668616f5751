import { describe, expect, it } from 'vitest';
import { exampleNames, fill, loadBuildConfig, undeclaredSubstitutions, untagged } from './build-config.js';

/** cloudbuild/load-tester.yaml, which `modelship gcp apply` submits to build the images it deploys. */

const file = loadBuildConfig('cloudbuild/load-tester.yaml');
const { config: build, step } = file;
// The example config's values: what apply passes (see plan-images.ts), and PROJECT_ID.
const values = { _REGION: 'us-central1', _REPOSITORY: 'modelship', _TAG: 'src-1', PROJECT_ID: 'my-project' };

describe('cloudbuild/load-tester.yaml', () => {
  it('builds both targets of the root Dockerfile, the tool image first, and pushes both', () => {
    for (const target of ['modelship', 'load-tester']) {
      expect(step(target).name).toBe('gcr.io/cloud-builders/docker');
      expect(step(target).args).toEqual([
        'build',
        '--file=Dockerfile',
        `--target=${target}`,
        `--tag=${build.images?.[target === 'modelship' ? 0 : 1]}`,
        '.',
      ]);
    }
    expect(build.steps.map((s) => s.id).slice(0, 2)).toEqual(['modelship', 'load-tester']);
    expect(build.images?.map((i) => untagged(fill(i, values)))).toEqual([
      exampleNames.toolImage,
      exampleNames.loadTestImage,
    ]);
    expect(undeclaredSubstitutions(file, ['PROJECT_ID'])).toEqual([]);
  });

  it('runs the tool image as root writing /workspace, and the load-test image as the job runs it', () => {
    const tool = step('smoke-modelship');
    expect(tool).toMatchObject({ name: build.images?.[0], waitFor: ['modelship'], entrypoint: 'sh' });
    expect(tool.args).toEqual(['-c', 'modelship --help >/dev/null && touch /workspace/.tool-ok']);
    expect(step('smoke-load-tester')).toMatchObject({
      name: build.images?.[1],
      waitFor: ['load-tester'],
      entrypoint: 'modelship',
      args: ['loadtest', '--help'],
    });
  });
});
