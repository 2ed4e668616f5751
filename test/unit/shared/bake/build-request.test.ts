import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { substituter } from '../../../../local/emulators/cloudbuild/substitutions.js';
import { BAKE_SETTINGS, bakeSubstitutions } from '../../../../shared/bake/bake-params.js';
import {
  BAKE_TEMPLATE_FILE,
  bakeBuild,
  loadBakeTemplate,
  type BuildRequest,
} from '../../../../shared/bake/build-request.js';
import { loadConfig } from '../../../../shared/config.js';
import type { ModelReleased } from '../../../../shared/messages.js';

const template = loadBakeTemplate();
const ENV = { MODELSHIP_IMAGE: 'r/modelship:1', TARGET_IMAGE_REPOSITORY: 'r.example/p/serving' };
const message = {
  runId: '20261125-180000-000001',
  release: { id: 3, tag: 'v2.0.0' },
  asset: { url: 'https://api.github.com/repos/o/n/releases/assets/9' },
} as ModelReleased;

function build(env: Record<string, string> = {}): BuildRequest {
  const config = loadConfig(BAKE_SETTINGS, { ...ENV, ...env });
  return bakeBuild(template, { runId: message.runId, substitutions: bakeSubstitutions(message, config), config });
}

/** Every string of the request Cloud Build substitutes into, through Cloud Build's rules (the emulator's copy). */
function substituteAll(request: BuildRequest): BuildRequest['steps'] {
  const sub = substituter(request.substitutions ?? {}, { PROJECT_ID: 'p', BUILD_ID: 'b' }, 'MUST_MATCH');
  const steps = request.steps?.map((s) => ({
    ...s,
    name: sub.apply(s.name ?? ''),
    args: (s.args ?? []).map(sub.apply),
    env: (s.env ?? []).map(sub.apply),
    entrypoint: sub.apply(s.entrypoint ?? ''),
  }));
  request.availableSecrets?.secretManager?.forEach((s) => sub.apply(s.versionName ?? ''));
  sub.checkAllUsed();
  return steps;
}

const argAfter = (args: readonly string[] | null | undefined, flag: string) => args?.[(args?.indexOf(flag) ?? -2) + 1];

describe('cloudbuild/bake-model.yaml', () => {
  it('is valid YAML with the steps of a bake, in order', () => {
    expect(() => parse(readFileSync(BAKE_TEMPLATE_FILE, 'utf8'))).not.toThrow();
    expect(template.steps.map((s) => s.id)).toEqual([
      'fetch',
      'extract',
      'layout',
      'push',
      'smoke-start',
      'smoke-check',
    ]);
    expect(template.options).toEqual({ logging: 'CLOUD_LOGGING_ONLY', substitutionOption: 'MUST_MATCH' });
    expect(template.tags).toEqual(['modelship']);
  });

  it('declares exactly the substitutions the function passes, and uses each (Cloud Build’s MUST_MATCH)', () => {
    const passed = Object.keys(
      bakeSubstitutions(message, loadConfig(BAKE_SETTINGS, { ...ENV, GITHUB_TOKEN_SECRET: 's' })),
    );
    expect(passed.sort()).toEqual(Object.keys(template.substitutions).sort());
    expect(() => substituteAll(build())).not.toThrow();
    expect(() => substituteAll(build({ GITHUB_TOKEN_SECRET: 'gh-token' }))).not.toThrow();
  });

  it('chains its steps through the workspace: each reads what the one before wrote', () => {
    const [fetch, extract, layout, push, smokeStart, smokeCheck] = substituteAll(build()) ?? [];
    expect(argAfter(extract?.args, '--archive')).toBe(argAfter(fetch?.args, '--out'));
    expect(argAfter(layout?.args, '--source')).toBe(argAfter(extract?.args, '--dest'));
    expect(push?.env).toContain(`LAYER=${argAfter(layout?.args, '--layer')}`);
    expect(push?.env).toEqual(
      expect.arrayContaining([
        'BASE=gcr.io/gcp-ml-172005/tfs-resnet-cpu-opt',
        'TARGET=r.example/p/serving:v2.0.0',
        'MODEL_NAME=resnet',
      ]),
    );
    expect(push?.args?.[1]).toContain('--append "$LAYER" --env "MODEL_NAME=$MODEL_NAME" --tag "$TARGET"');
    expect(push?.args?.[1]).toContain('> "$BUILDER_OUTPUT/output"');
    expect(smokeStart?.args?.[1]).toContain('"$(cat image.ref)"');
    for (const step of [fetch, extract, layout, smokeCheck]) {
      expect(step).toMatchObject({
        name: 'r/modelship:1',
        entrypoint: 'modelship',
        args: expect.arrayContaining(['bake']),
      });
    }
    expect(argAfter(fetch?.args, '--url')).toBe(message.asset.url);
    expect(argAfter(smokeCheck?.args, '--enabled')).toBe('false');
  });

  it('reads the token from Secret Manager only when a secret is configured', () => {
    const publicBuild = build();
    expect(publicBuild.availableSecrets).toBeUndefined();
    expect(publicBuild.steps?.some((s) => 'secretEnv' in s)).toBe(false);
    expect(publicBuild.substitutions).not.toHaveProperty('_GITHUB_TOKEN_SECRET');
    const privateBuild = build({ GITHUB_TOKEN_SECRET: 'gh-token' });
    expect(privateBuild.availableSecrets).toEqual({
      secretManager: [
        { versionName: 'projects/$PROJECT_ID/secrets/${_GITHUB_TOKEN_SECRET}/versions/latest', env: 'GITHUB_TOKEN' },
      ],
    });
    expect(privateBuild.steps?.filter((s) => s.secretEnv).map((s) => s.id)).toEqual(['fetch']);
  });

  it('runs the build as its own service account when one is configured, and as the default one otherwise', () => {
    const sa = 'projects/p/serviceAccounts/modelship-bake-build@p.iam.gserviceaccount.com';
    expect(build({ BAKE_SERVICE_ACCOUNT: sa }).serviceAccount).toBe(sa);
    expect(build().serviceAccount).toBeUndefined();
    expect(() => build({ BAKE_SERVICE_ACCOUNT: 'someone@example.com' })).toThrow(
      /BAKE_SERVICE_ACCOUNT.*projects\/P\/serviceAccounts\/EMAIL/s,
    );
  });

  it('refuses a substitution the YAML does not declare', () => {
    const config = loadConfig(BAKE_SETTINGS, ENV);
    expect(() => bakeBuild(template, { runId: 'r', substitutions: { _NOPE: 'x' }, config })).toThrow(
      /_NOPE .*not declared/,
    );
  });
});
