import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exposureWarning, exposureWarnings } from '../../../operator/exposure-warnings.js';
import { loadScenarios } from '../../../shared/deploy/index.js';

const dir = mkdtempSync(join(tmpdir(), 'modelship-exposure-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const scenario = (extra = '') => `description: A test scenario.
replicas: 1
node:
  machineType: n2-custom-8-16384
tfserving:
  interOpParallelism: 4
${extra}`;

describe('exposure warnings', () => {
  it('say nothing for the seed scenarios: every one is internal', async () => {
    const seed = await loadScenarios();
    expect(seed.map((s) => s.service.exposure)).toEqual(seed.map(() => 'internal'));
    expect(seed.map(exposureWarning).filter(Boolean)).toEqual([]);
  });

  it('name each scenario given service.exposure: external, and only those', async () => {
    writeFileSync(join(dir, 'quiet.yaml'), scenario());
    writeFileSync(join(dir, 'said-internal.yaml'), scenario('service:\n  exposure: internal\n'));
    writeFileSync(join(dir, 'public.yaml'), scenario('service:\n  exposure: external\n'));
    expect(await exposureWarnings(['quiet', 'public', 'said-internal'], dir)).toEqual([
      'warning: scenario public has service.exposure: external: its model server gets a public IP with no ' +
        'authentication (gRPC 8500, REST 8501); remove the line to keep it internal',
    ]);
  });
});
