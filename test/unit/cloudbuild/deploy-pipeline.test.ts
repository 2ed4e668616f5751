import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createGcpCommand } from '../../../cli/commands/gcp.js';
import { parseGcpConfig } from '../../../shared/gcp-deploy/load-gcp-config.js';
import { resourceNames } from '../../../shared/gcp-deploy/names.js';
import { packageRoot } from '../../../shared/paths.js';

interface Step {
  id: string;
  args: string[];
}
interface BuildConfig {
  substitutions: Record<string, string>;
  steps: Step[];
  images?: string[];
  options: Record<string, string>;
}

const load = (file: string) => {
  const text = readFileSync(join(packageRoot, file), 'utf8');
  return { text, config: parse(text) as BuildConfig };
};
const { text, config: pipeline } = load('cloudbuild/deploy-pipeline.yaml');
const step = (id: string) => pipeline.steps.find((s) => s.id === id) as Step;
const fill = (s: string, values: Record<string, string>) =>
  s.replace(/\$\{?(_?[A-Z_]+)\}?/g, (_, k: string) => values[k] ?? `<${k}>`);

describe('cloudbuild/deploy-pipeline.yaml', () => {
  it('tests, builds and pushes the image, then deploys code, in that order', () => {
    expect(pipeline.steps.map((s) => s.id)).toEqual(['sdk', 'test', 'image', 'push', 'deploy']);
    expect(step('test').args).toEqual(['.ci/run']);
    expect(pipeline.options.logging).toBe('CLOUD_LOGGING_ONLY');
  });

  it('uses only declared substitutions and the trigger built-ins (Cloud Build refuses others)', () => {
    const used = [...text.replace(/^\s*#.*$/gm, '').matchAll(/\$\{?([A-Z_][A-Z0-9_]*)\}?/g)].map((m) => m[1] ?? '');
    const undeclared = used.filter((v) => !(v in pipeline.substitutions) && !['PROJECT_ID', 'SHORT_SHA'].includes(v));
    expect(undeclared).toEqual([]);
  });

  it('deploys the image it pushed, named as the plan and cloudbuild/load-tester.yaml name it', () => {
    const built = step('image')
      .args.find((a) => a.startsWith('--tag='))
      ?.slice('--tag='.length);
    expect(step('push').args).toEqual(['push', built]);
    expect(step('deploy').args).toContain(`--load-test-image=${built}`);

    const example = parseGcpConfig(readFileSync(join(packageRoot, 'modelship.config.example.yaml'), 'utf8'), 'x', {
      scenarios: ['2n-8c-16r-interop4'],
    });
    const values = { ...pipeline.substitutions, PROJECT_ID: example.project };
    expect(fill(built ?? '', values).replace(/:[^:/]+$/, '')).toBe(resourceNames(example).loadTestImage);
    const tester = load('cloudbuild/load-tester.yaml').config;
    const testerImage = fill(tester.images?.[0] ?? '', {
      ...tester.substitutions,
      ...values,
      _REGION: 'us-central1',
      _REPOSITORY: 'modelship',
    });
    expect(testerImage.replace(/:[^:/]+$/, '')).toBe(resourceNames(example).loadTestImage);
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
    expect(out.join('\n')).toContain(
      'The load-test image us-central1-docker.pkg.dev/my-project/modelship/load-tester:abc1234 exists',
    );
  });
});
