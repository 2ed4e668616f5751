import type { AddressInfo } from 'node:net';
import { getFunction, getTestServer } from '@google-cloud/functions-framework/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ENTRY_POINTS } from '../../../shared/wiring.js';

/** functions/index.ts as the Functions Framework loads it: afresh, with the environment of the instance. */
async function loadEntry(env: Record<string, string | undefined>): Promise<unknown> {
  vi.resetModules();
  for (const [name, value] of Object.entries({ FUNCTION_TARGET: undefined, ...env })) vi.stubEnv(name, value);
  return import('../../../functions/index.js');
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('functions/index.ts', () => {
  it('registers every function under its entry point', async () => {
    await loadEntry({});
    for (const name of ENTRY_POINTS) expect(getFunction(name), name).toBeTypeOf('function');
  });

  it("fails start-up on the target's bad configuration, not on its first event", async () => {
    await expect(loadEntry({ FUNCTION_TARGET: 'bakeModel', GOOGLE_CLOUD_PROJECT: 'p' })).rejects.toThrow(
      /MODELSHIP_IMAGE is not set/,
    );
  });

  it('fails start-up on an unknown FUNCTION_TARGET, naming the entry points', async () => {
    await expect(loadEntry({ FUNCTION_TARGET: 'bakeModle' })).rejects.toThrow(
      /FUNCTION_TARGET is bakeModle: expected one of githubWebhook, bakeModel/,
    );
  });

  it('serves the target once its module is loaded', async () => {
    await loadEntry({
      FUNCTION_TARGET: 'githubWebhook',
      GOOGLE_CLOUD_PROJECT: 'p',
      GITHUB_WEBHOOK_SECRET: 'a-secret-of-some-length',
      ALLOWED_REPOSITORIES: 'o/r',
      METADATA_SERVER_DETECTION: 'none',
    });
    const server = getTestServer('githubWebhook').listen(0, '127.0.0.1');
    try {
      await new Promise((resolve) => server.once('listening', resolve));
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      expect(res.status).toBe(405);
    } finally {
      server.close();
    }
  });
});
