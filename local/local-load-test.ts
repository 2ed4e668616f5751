import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { distPath } from '../shared/paths.js';
import type { LocalImages } from './containers/images.js';
import { startRunEmulator, type EmulatedJob, type RunEmulator } from './emulators/run/run-emulator.js';

export interface LocalLoadTests {
  run: RunEmulator;
  /** Where the reports go (REPORT_BUCKET as a directory). */
  reportDir: string;
  /** The functions' environment that points launchLoadTest at the job. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * The load-test job of the local stack: the Cloud Run emulator running the job's image (the Dockerfile's
 * `load-tester` target, `modelship loadtest`) as a container on the host network, or, without `images`, the same
 * command as a process. The job's environment points it at the emulators; REPORT_BUCKET is a directory, mounted
 * into the container at the same path as Cloud Run mounts a bucket, so that its file:// URLs read the same inside
 * and out.
 */
export async function startLocalLoadTests(o: {
  dir: string;
  port: number;
  /** The job's full name, as the plan names it. */
  job: string;
  /** The job's environment as its service account. */
  stackEnv: Record<string, string>;
  images?: LocalImages;
}): Promise<LocalLoadTests> {
  const reportDir = join(o.dir, 'reports');
  mkdirSync(reportDir, { recursive: true });
  const env = { ...o.stackEnv, REPORT_BUCKET: pathToFileURL(reportDir).href, MODELSHIP_WORKERS: '0' };
  const job: EmulatedJob = o.images
    ? { image: o.images.loadTester, env, mounts: [{ hostPath: reportDir, mountPath: reportDir }] }
    : { command: [process.execPath, distPath('cli/main.js'), 'loadtest'], env };
  const run = await startRunEmulator({
    port: o.port,
    logDir: join(o.dir, 'logs', 'load-tests'),
    env: process.env,
    jobs: { [o.job]: job },
  });
  return {
    run,
    reportDir,
    // REPORT_BUCKET for reportResults too: the run's comparison page goes beside the reports.
    env: { CLOUD_RUN_EMULATOR_HOST: `127.0.0.1:${run.port}`, LOAD_TEST_JOB: o.job, REPORT_BUCKET: env.REPORT_BUCKET },
    stop: () => run.stop(),
  };
}
