import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { distPath, packageRoot } from '../../shared/paths.js';

/** The built `modelship` command, as a person runs it (npm test builds dist/ first). */
function modelship(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [distPath('cli/main.js'), ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', METADATA_SERVER_DETECTION: 'none', ...env },
    timeout: 30_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const IMAGE = `europe-docker.pkg.dev/p/models/resnet@sha256:${'a'.repeat(64)}`;

describe('modelship', () => {
  it('lists every command in --help', () => {
    const { code, out } = modelship(['--help']);
    expect(code).toBe(0);
    for (const c of [
      'local',
      'loadtest',
      'compare',
      'tfs-sim',
      'scenarios',
      'render',
      'redeploy',
      'runs',
      'sweep',
      'gcp',
      'bake',
    ]) {
      expect(out).toMatch(new RegExp(`^  ${c} `, 'm'));
    }
  });

  it('lists the 15 scenarios of the seed, marking the default', () => {
    const { code, out } = modelship(['scenarios']);
    expect(code).toBe(0);
    const rows = out.trim().split('\n').slice(1);
    expect(rows).toHaveLength(15);
    expect(out).toMatch(/^2n-8c-16r-interop4 \*/m);
  });

  it('renders a scenario as YAML that kubectl accepts: a Deployment and two Services', () => {
    const { code, out } = modelship(['render', '2n-8c-16r-interop4', '--image', IMAGE]);
    expect(code).toBe(0);
    const kinds = parseAllDocuments(out).map((d) => (d.toJS() as { kind: string }).kind);
    expect(kinds).toEqual(['Deployment', 'Service', 'Service']);
    expect(out).toContain(IMAGE);
    expect(out).toContain('networking.gke.io/load-balancer-type: Internal');
  });

  it('warns on stderr, not in the YAML, when a scenario puts the model server on a public IP', () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelship-render-'));
    try {
      const seed = readFileSync(join(packageRoot, 'scenarios', '2n-8c-16r-interop4.yaml'), 'utf8');
      writeFileSync(join(dir, 'public.yaml'), `${seed}service:\n  exposure: external\n`);
      const { code, out, err } = modelship(['render', 'public', '--image', IMAGE, '--dir', dir]);
      expect(code).toBe(0);
      expect(err).toMatch(/^warning: scenario public has service.exposure: external: .*public IP/);
      expect(out).not.toContain('warning');
      expect(out).not.toContain('load-balancer-type');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([[['redeploy', '--scenario', '2n-8c-16r-interop4']], [['promote', '20261207-000000-abcdef']], [['runs']]])(
    'modelship %j without credentials says how to sign in, exit code 2',
    (args) => {
      const { code, err } = modelship(args, { GOOGLE_CLOUD_PROJECT: 'p', HOME: join(tmpdir(), 'no-such-home') });
      expect(code).toBe(2);
      expect(err).toMatch(
        /cannot reach firestore.* of project p: no Application Default Credentials.*gcloud auth application-default login/,
      );
    },
  );

  it('modelship runs with nothing to read says where it looked, exit code 2', () => {
    const { code, err } = modelship(['runs', '--dir', join(tmpdir(), 'no-such-stack')]);
    expect(code).toBe(2);
    expect(err).toMatch(/no runs to read: neither FIRESTORE_EMULATOR_HOST nor GOOGLE_CLOUD_PROJECT is set/);
  });

  it.each([
    [['nope'], /unknown command 'nope'/],
    [[], /Usage: modelship COMMAND/],
    [['render', 'no-such-scenario', '--image', IMAGE], /no-such-scenario/],
    [['render', '2n-8c-16r-interop4', '--image', 'resnet:latest'], /digest/],
    [['redeploy'], /--scenario is required/],
    [['redeploy', '--scenario', '2n-8c-16r-interop4'], /GOOGLE_CLOUD_PROJECT is not set/],
    [['runs', '--limit', '0'], /--limit must be a positive whole number/],
    [['sweep'], /--scenarios is required/],
    [['sweep', '--scenarios', '2n-8c-16r-interop4', '--duration', 'soon'], /--duration must be a duration/],
    [['sweep', '--local', '--scenarios', '2n-8c-16r-interop4,nope'], /--scenarios: no scenario 'nope' in \S+scenarios/],
    [['fixture', 'saved-model'], /fixture saved-model takes exactly one DIR/],
    [['local', 'party'], /unknown action 'party'/],
    [['local', 'release'], /local release needs --model/],
    [['local', 'release', '--model', '/no/such/model'], /--model \/no\/such\/model does not exist/],
    [['local', 'demo', '--users', 'many'], /--users must be a positive whole number/],
    [
      ['local', 'release', '--model', 'm', '--scenario', '2n-8c-16r-interop4,nope'],
      /--scenario: no scenario 'nope' in \S+scenarios; expected names from 2n-8c-16r-interop2, /,
    ],
    [['local', 'release', '--model', 'm', '--scenario', ','], /--scenario must name at least one scenario/],
    [['local', 'up', '--ports', '8080'], /--ports must be auto \(free ports, the default\) or firebase/],
    [['local', 'down', '--model', 'm'], /--model is for local release, not local down/],
    [['local', 'down', '--dir', tmpdir()], /no local stack is up in \S+ \(no \S+stack.json\)/],
  ])('modelship %j fails with exit code 2 and says what is wrong', (args, says) => {
    const { code, out, err } = modelship(args);
    expect(code).toBe(2);
    expect(out + err).toMatch(says);
  });
});
