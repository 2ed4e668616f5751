import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialsProblem, requireGoogleAccess } from '../../../operator/google-access.js';
import { ModelshipError } from '../../../shared/errors.js';

let home: string;
let server: Server;
let open: string;
let closed: string;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'modelship-adc-'));
  server = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  open = `127.0.0.1:${(server.address() as { port: number }).port}`;
  // A port that was free a moment ago: nothing listens there.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closed = `127.0.0.1:${(probe.address() as { port: number }).port}`;
  await new Promise((resolve) => probe.close(resolve));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(home, { recursive: true, force: true });
});

/** An environment with nothing of this machine's: no credentials unless the test adds them. */
const bare = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ HOME: home, ...extra });

describe('credentialsProblem', () => {
  it('finds no credentials on a machine without them, and says so', () => {
    expect(credentialsProblem(bare())).toBe('no Application Default Credentials on this machine');
  });

  it('takes gcloud’s well-known file, a key file, or a metadata server', () => {
    const config = join(home, 'gcloud');
    mkdirSync(config, { recursive: true });
    writeFileSync(join(config, 'application_default_credentials.json'), '{}');
    expect(credentialsProblem(bare({ CLOUDSDK_CONFIG: config }))).toBeUndefined();
    expect(credentialsProblem(bare({ GCE_METADATA_HOST: '127.0.0.1:1' }))).toBeUndefined();
    expect(
      credentialsProblem(
        bare({ GOOGLE_APPLICATION_CREDENTIALS: join(config, 'application_default_credentials.json') }),
      ),
    ).toBeUndefined();
  });

  it('names a key file that is not there', () => {
    expect(credentialsProblem(bare({ GOOGLE_APPLICATION_CREDENTIALS: '/nowhere/key.json' }))).toBe(
      'GOOGLE_APPLICATION_CREDENTIALS names /nowhere/key.json, which does not exist',
    );
  });
});

describe('requireGoogleAccess', () => {
  it('refuses a project without credentials, with the command that fixes it', async () => {
    const err = await requireGoogleAccess(['firestore', 'pubsub'], 'p', bare()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelshipError);
    expect((err as Error).message).toBe(
      'cannot reach firestore and pubsub of project p: no Application Default Credentials on this machine (sign in with gcloud auth application-default login (or set GOOGLE_APPLICATION_CREDENTIALS to a key file); for the local stack, source the env file modelship local up writes)',
    );
  });

  it('needs no credentials when every service is an emulator that answers', async () => {
    await expect(
      requireGoogleAccess(
        ['firestore', 'pubsub'],
        'p',
        bare({ FIRESTORE_EMULATOR_HOST: open, PUBSUB_EMULATOR_HOST: open }),
      ),
    ).resolves.toBeUndefined();
  });

  it('says which emulator does not answer, and why', async () => {
    const err = await requireGoogleAccess(['firestore'], 'p', bare({ FIRESTORE_EMULATOR_HOST: closed })).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toMatch(
      new RegExp(`^the firestore emulator at ${closed} \\(FIRESTORE_EMULATOR_HOST\\) does not answer: ECONNREFUSED`),
    );
  });

  it('still needs credentials for a service without its emulator', async () => {
    const err = await requireGoogleAccess(['firestore', 'pubsub'], 'p', bare({ FIRESTORE_EMULATOR_HOST: open })).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toMatch(/^cannot reach pubsub of project p: /);
  });
});
