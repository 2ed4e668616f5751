import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { runDemo } from '../../../local/demo.js';

describe('npm start (the local demo)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'modelship-demo-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sends a signed release through the webhook and shows the ModelReleased that reached model-released', async () => {
    const lines: string[] = [];
    const code = await runDemo({
      dir,
      print: (l) => lines.push(l),
      ports: { functions: 0, releases: 0 },
      emulatorHosts: { pubsub: inject('pubsubHost'), firestore: inject('firestoreHost') },
      project: `demo-${process.pid}`,
    });
    const out = lines.join('\n');
    expect(code, out).toBe(0);
    expect(out).toMatch(/sent to githubWebhook: HTTP 202 \{"runId":"(\d{8}-\d{6}-[0-9a-f]{6})"\}/);
    const runId = /"runId":"([^"]+)"/.exec(out)?.[1];
    expect(out).toContain(`ModelReleased reached model-released for run ${runId}`);
    expect(out).toContain('"tag": "v1.0.0"');
  });
});
