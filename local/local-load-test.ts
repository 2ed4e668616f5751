import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { distPath } from '../shared/paths.js';
import { startRunEmulator, type RunEmulator } from './emulators/run/run-emulator.js';

export const LOCAL_LOAD_TEST_JOB = 'projects/modelship-local/locations/local/jobs/modelship-loadtest';

export interface LocalLoadTests {
  run: RunEmulator;
  /** Where the reports go (REPORT_BUCKET as a directory). */
  reportDir: string;
  /** The functions' environment that points launchLoadTest at the job. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * The load-test job of the local stack: the Cloud Run emulator running `modelship loadtest` as the job's container
 * would (loadtest/Dockerfile's entrypoint), with the job's environment: the emulators and a report directory.
 */
export async function startLocalLoadTests(o: {
  dir: string;
  port: number;
  stackEnv: Record<string, string>;
}): Promise<LocalLoadTests> {
  const reportDir = join(o.dir, 'reports');
  const run = await startRunEmulator({
    port: o.port,
    logDir: join(o.dir, 'logs', 'load-tests'),
    env: process.env,
    jobs: {
      [LOCAL_LOAD_TEST_JOB]: {
        command: [process.execPath, distPath('cli/main.js'), 'loadtest'],
        env: { ...o.stackEnv, REPORT_BUCKET: pathToFileURL(reportDir).href, MODELSHIP_WORKERS: '0' },
      },
    },
  });
  return {
    run,
    reportDir,
    env: { CLOUD_RUN_EMULATOR_HOST: `127.0.0.1:${run.port}`, LOAD_TEST_JOB: LOCAL_LOAD_TEST_JOB },
    stop: () => run.stop(),
  };
}
