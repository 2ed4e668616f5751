import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { ModelshipError } from '../../shared/errors.js';
import { freePort } from '../free-port.js';
import { waitUntil } from '../wait-until.js';

/**
 * The Google Cloud SDK's Pub/Sub and Firestore emulators, started as Java processes on loopback ports.
 * The jars are run directly rather than through `gcloud … start`, whose wrapper leaves the JVM behind when it is
 * stopped: here the PID we hold is the JVM's own, so stopping it stops the emulator.
 */

export interface Emulator {
  readonly name: string;
  /** host:port, the value of PUBSUB_EMULATOR_HOST or FIRESTORE_EMULATOR_HOST. */
  readonly host: string;
  readonly pid: number;
  stop(): Promise<void>;
}

const INSTALL_HINT =
  'install the Google Cloud SDK with its emulators (apt-get install google-cloud-cli ' +
  'google-cloud-cli-pubsub-emulator google-cloud-cli-firestore-emulator openjdk-17-jre-headless), ' +
  'or set CLOUDSDK_ROOT to its directory';

/** The SDK's root directory: CLOUDSDK_ROOT, or found from `gcloud` on the PATH. */
export function cloudSdkRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CLOUDSDK_ROOT) return env.CLOUDSDK_ROOT;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    const gcloud = join(dir, 'gcloud');
    if (existsSync(gcloud)) return dirname(dirname(realpathSync(gcloud)));
  }
  throw new ModelshipError('the Google Cloud SDK was not found (no gcloud on the PATH)', { hint: INSTALL_HINT });
}

function requireFile(path: string, what: string): string {
  if (!existsSync(path))
    throw new ModelshipError(`the ${what} is not installed: ${path} is missing`, { hint: INSTALL_HINT });
  return path;
}

async function startJava(name: string, args: string[], port: number): Promise<Emulator> {
  const config = mkdtempSync(join(tmpdir(), `modelship-${name.replace(/\W+/g, '-')}`));
  const child: ChildProcess = spawn('java', ['-Xmx512m', '-Duser.language=en', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      CLOUDSDK_CONFIG: config,
      CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
      CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: '1',
    },
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let alive = true;
  void exited.then(() => (alive = false));
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (err) =>
      reject(new ModelshipError(`cannot start java for the ${name}`, { cause: err, hint: INSTALL_HINT })),
    ),
  );

  const host = `127.0.0.1:${port}`;
  const stop = async () => {
    if (alive) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => alive && child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(config, { recursive: true, force: true });
  };
  try {
    await Promise.race([
      spawnError,
      waitUntil(
        `the ${name} on ${host}`,
        async () => {
          if (!alive) throw new ModelshipError(`the ${name} exited at start-up:\n${output}`);
          const res = await fetch(`http://${host}/`);
          return res.ok ? true : undefined;
        },
        // Ready in under 10 s on an idle machine; a busy shared one (image builds, three test files) took over 30 s.
        { timeoutMs: 90_000 },
      ),
    ]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { name, host, pid: child.pid ?? -1, stop };
}

export async function startPubsubEmulator({ port }: { port?: number } = {}): Promise<Emulator> {
  const root = cloudSdkRoot();
  const lib = requireFile(join(root, 'platform', 'pubsub-emulator', 'lib'), 'Pub/Sub emulator');
  const jar = readdirSync(lib).find((f) => /^cloud-pubsub-emulator-.*\.jar$/.test(f));
  if (!jar) throw new ModelshipError(`the Pub/Sub emulator is not installed: no jar in ${lib}`, { hint: INSTALL_HINT });
  const p = port || (await freePort()); // 0 or none: a free port
  return startJava('Pub/Sub emulator', ['-jar', join(lib, jar), '--host=127.0.0.1', `--port=${p}`], p);
}

export async function startFirestoreEmulator({ port }: { port?: number } = {}): Promise<Emulator> {
  const jar = requireFile(
    join(cloudSdkRoot(), 'platform', 'cloud-firestore-emulator', 'cloud-firestore-emulator.jar'),
    'Firestore emulator',
  );
  const p = port || (await freePort()); // 0 or none: a free port
  return startJava(
    'Firestore emulator',
    [
      '-cp',
      jar,
      'com.google.cloud.datastore.emulator.firestore.CloudFirestore',
      'start',
      '--host=127.0.0.1',
      `--port=${p}`,
    ],
    p,
  );
}
