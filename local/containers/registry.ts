import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../free-port.js';
import { podman } from './podman.js';
import { waitUntil } from '../wait-until.js';

/**
 * A real OCI registry on 127.0.0.1: the distribution project's `registry` (Debian's docker-registry package), the
 * same server Docker Hub and Artifact Registry speak the protocol of. Baked images are pushed here and pods pull
 * from here. Its access log (one JSON line a request, with the bytes written) is how the benchmarks count the bytes
 * a bake moves.
 */

export interface Registry {
  /** HOST:PORT, the registry part of an image name. */
  host: string;
  pid: number;
  /** The registry's own log: JSON lines, one a request. */
  logFile: string;
  stop(): Promise<void>;
}

export async function startRegistry(o: { dir: string; port?: number }): Promise<Registry> {
  mkdirSync(join(o.dir, 'storage'), { recursive: true });
  const port = o.port || (await freePort());
  const host = `127.0.0.1:${port}`;
  const config = join(o.dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: info',
      '  formatter: json',
      '  accesslog: { disabled: true }',
      'storage:',
      `  filesystem: { rootdirectory: ${JSON.stringify(join(o.dir, 'storage'))} }`,
      '  delete: { enabled: true }',
      'http:',
      `  addr: ${host}`,
      '',
    ].join('\n'),
  );
  const logFile = join(o.dir, 'registry.log');
  const fd = openSync(logFile, 'a');
  const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (err) => reject(new Error(`docker-registry could not start: ${err.message}`)));
    child.once('exit', (code) => reject(new Error(`docker-registry exited with code ${code}; see ${logFile}`)));
  });
  failed.catch(() => undefined);
  const stop = async () => {
    await forgetPulledImages(host);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await Promise.race([
      failed,
      waitUntil(`the registry on ${host}`, async () => ((await fetch(`http://${host}/v2/`)).ok ? true : undefined)),
    ]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { host, pid: child.pid ?? -1, logFile, stop };
}

/**
 * The images podman pulled from this registry (pods, steps, tasks) are named after its address, which dies with it:
 * untag them, so that stacks that come and go do not fill podman's store. Their layers stay while the images built
 * here (the same layers) do.
 */
async function forgetPulledImages(host: string): Promise<void> {
  const listed = await podman([
    'images',
    '--filter',
    `reference=${host}/*/*`,
    '--format',
    '{{.Repository}}@{{.Digest}}',
  ])
    .then((out) => out.split('\n'))
    .catch(() => []);
  // One at a time: an image also tagged elsewhere (the stack's own builds) only loses this name.
  for (const ref of new Set(listed.filter((r) => r.startsWith(`${host}/`)))) {
    await podman(['rmi', ref]).catch(() => undefined);
  }
}
