import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ModelshipError } from '../shared/errors.js';

/**
 * What the operator's commands (runs, redeploy, promote, sweep) check before they build a Google client: without
 * it, a client with no credentials pings the metadata server, retries for tens of seconds and fails with a stack
 * trace; an emulator that is down fails the same way. Both are told here in under a second, with the fix.
 */

/** The services a command uses, with the emulator variable each honours. */
const EMULATOR_VARIABLES = { firestore: 'FIRESTORE_EMULATOR_HOST', pubsub: 'PUBSUB_EMULATOR_HOST' } as const;
export type GoogleService = keyof typeof EMULATOR_VARIABLES;

/** How long an emulator gets to accept a connection. */
const CONNECT_MS = 1000;

/** Resolves when HOST:PORT accepts a TCP connection within CONNECT_MS; rejects with the reason otherwise. */
function answers(hostPort: string): Promise<void> {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(hostPort);
  if (!m) return Promise.reject(new Error(`'${hostPort}' is not HOST:PORT`));
  return new Promise((resolve, reject) => {
    const socket = connect({ host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) });
    const fail = (why: string) => {
      socket.destroy();
      reject(new Error(why));
    };
    socket.setTimeout(CONNECT_MS, () => fail(`no answer within ${CONNECT_MS} ms`));
    socket.once('error', (err: NodeJS.ErrnoException) => fail(err.code ?? err.message));
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
  });
}

/**
 * Where google-auth-library finds Application Default Credentials, in its order, read without the network: the
 * file in GOOGLE_APPLICATION_CREDENTIALS, gcloud's well-known file, or a Google machine's metadata server (GCE_METADATA_HOST
 * set, or the BIOS vendor Google, which is how the library itself tells a Google machine).
 */
export function credentialsProblem(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const explicit = env.GOOGLE_APPLICATION_CREDENTIALS;
  if (explicit)
    return existsSync(explicit) ? undefined : `GOOGLE_APPLICATION_CREDENTIALS names ${explicit}, which does not exist`;
  const config = env.CLOUDSDK_CONFIG ?? join(env.HOME ?? homedir(), '.config', 'gcloud');
  if (existsSync(join(config, 'application_default_credentials.json'))) return undefined;
  if (env.GCE_METADATA_HOST || env.GCE_METADATA_IP || onGoogleMachine()) return undefined;
  return 'no Application Default Credentials on this machine';
}

function onGoogleMachine(): boolean {
  try {
    return /Google/.test(readFileSync('/sys/class/dmi/id/bios_vendor', 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Checks, before any client is built, that each service the command uses can be reached: its emulator answers when
 * its variable is set; otherwise Google's, which needs credentials. Throws a ModelshipError (exit code 2) saying
 * which and how to fix it.
 */
export async function requireGoogleAccess(
  services: readonly GoogleService[],
  project: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const remote: GoogleService[] = [];
  for (const service of services) {
    const variable = EMULATOR_VARIABLES[service];
    const host = env[variable];
    if (!host) {
      remote.push(service);
      continue;
    }
    await answers(host).catch((err: Error) => {
      throw new ModelshipError(`the ${service} emulator at ${host} (${variable}) does not answer: ${err.message}`, {
        hint: `start the local stack (modelship local up) and source its env file, or unset ${variable} to use project ${project}`,
      });
    });
  }
  if (remote.length === 0) return;
  const problem = credentialsProblem(env);
  if (problem)
    throw new ModelshipError(`cannot reach ${remote.join(' and ')} of project ${project}: ${problem}`, {
      hint: 'sign in with gcloud auth application-default login (or set GOOGLE_APPLICATION_CREDENTIALS to a key file); for the local stack, source the env file modelship local up writes',
    });
}
