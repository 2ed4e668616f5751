import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createGcpCommand } from '../../cli/commands/gcp.js';
import { packageRoot } from '../../shared/paths.js';
import { createFakeCloud } from '../fixtures/gcp/fake-cloud.js';

/** `modelship gcp plan` warns about a configured scenario that would put the model server on a public IP. */

const dirs: string[] = [];
afterEach(() => {
  vi.unstubAllEnvs();
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

async function plan(scenarioText: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'modelship-gcp-exposure-'));
  dirs.push(dir);
  copyFileSync(join(packageRoot, 'modelship.config.example.yaml'), join(dir, 'modelship.config.yaml'));
  // The example config deploys the default scenario: a copy of it, as the operator edited it.
  mkdirSync(join(dir, 'scenarios'));
  writeFileSync(join(dir, 'scenarios', '2n-8c-16r-interop4.yaml'), scenarioText);
  vi.stubEnv('SCENARIOS_DIR', join(dir, 'scenarios'));
  const cloud = createFakeCloud({
    project: 'my-project',
    projectNumber: '123456789012',
    cluster: { name: 'tfserving', location: 'us-central1-a', network: 'default' },
    subnet: { name: 'default', region: 'us-central1', network: 'default' },
    cwd: dir,
  });
  const out: string[] = [];
  const command = createGcpCommand(
    {
      run: cloud.run,
      newSecret: () => 'unused',
      sleep: async () => undefined,
      fetch: async () => new Response('', { status: 401 }),
      print: (line) => out.push(line),
    },
    () => dir,
  );
  expect(await command.run(['plan'])).toBe(0);
  return out;
}

const seedText = readFileSync(join(packageRoot, 'scenarios', '2n-8c-16r-interop4.yaml'), 'utf8');

describe('modelship gcp plan', () => {
  it('warns about a scenario with service.exposure: external', async () => {
    const out = await plan(`${seedText}service:\n  exposure: external\n`);
    expect(out.at(-1)).toBe(
      'warning: scenario 2n-8c-16r-interop4 has service.exposure: external: its model server gets a public IP ' +
        'with no authentication (gRPC 8500, REST 8501); remove the line to keep it internal',
    );
  });

  it('says nothing of exposure when the scenarios are internal (the default)', async () => {
    const out = await plan(seedText);
    expect(out.join('\n')).not.toContain('exposure');
  });
});
