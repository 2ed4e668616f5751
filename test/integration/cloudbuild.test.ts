import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudBuildClient } from '@google-cloud/cloudbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startCloudBuildEmulator,
  type CloudBuildEmulator,
} from '../../local/emulators/cloudbuild/cloudbuild-emulator.js';
import { inProcessSteps } from '../../local/emulators/cloudbuild/step-runner.js';
import { parseBuild } from '../../shared/bake/build-view.js';
import { clientOptions } from '../../shared/gcp/client-options.js';
import { BuildRejectedError, createCloudBuild, type CloudBuild } from '../../shared/gcp/cloud-build.js';
import { createMemoryLogger } from '../../shared/log.js';
import { TOPICS } from '../../shared/topics.js';
import { cloudBuildContract, trivialBuild } from '../support/cloud-build-contract.js';
import { subscribe, testProject, type Inbox, type TestProject } from '../support/emulators.js';

let project: TestProject;
let emulator: CloudBuildEmulator;
let client: CloudBuildClient;
let work: string;
let cloudBuild: CloudBuild;

beforeAll(async () => {
  project = await testProject();
  work = await mkdtemp(join(tmpdir(), 'modelship-cloudbuild-'));
  emulator = await startCloudBuildEmulator({
    pubsub: project.pubsub,
    executeStep: inProcessSteps(join(work, 'images')),
    workDir: work,
  });
  client = new CloudBuildClient(clientOptions(emulator.host));
  cloudBuild = createCloudBuild({ client, project: project.projectId, log: createMemoryLogger() });
});
afterAll(async () => {
  await client?.close();
  await emulator?.stop();
  await project?.close();
  await rm(work, { recursive: true, force: true });
});

cloudBuildContract('the emulator, through the real CloudBuildClient', async () => ({
  cloudBuild,
  close: async () => undefined,
}));

describe('the Cloud Build emulator', () => {
  let inbox: Inbox;
  beforeAll(async () => {
    inbox = await subscribe(project.pubsub, TOPICS.cloudBuilds);
  });
  afterAll(async () => {
    await inbox?.close();
  });

  it('publishes QUEUED, WORKING and SUCCESS to cloud-builds, as Cloud Build does, and serves the log', async () => {
    const build = await cloudBuild.submit(trivialBuild(['notify-test']));
    await emulator.idle();
    const mine = (await inbox.drain(project.pubsub.topic(TOPICS.cloudBuilds))).filter(
      (m) => m.attributes.buildId === build.id,
    );
    expect(mine.map((m) => m.attributes.status)).toEqual(['QUEUED', 'WORKING', 'SUCCESS']);
    const last = JSON.parse(mine[2]!.data.toString('utf8')) as Record<string, unknown>;
    expect(last).toMatchObject({
      id: build.id,
      projectId: project.projectId,
      status: 'SUCCESS',
      tags: ['notify-test'],
    });
    expect(last.createTime).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(last.timeout).toBe('60s');
    expect(parseBuild(last, 'notification').steps).toEqual([{ id: 'hello', status: 'SUCCESS' }]);
    const log = await (await fetch(build.logUrl)).text();
    expect(log).toContain(`starting build "${build.id}"`);
    expect(log).toMatch(/Step #0 - "hello": skipped: the Cloud Build emulator has no Docker engine/);
    expect(log.trim().endsWith('DONE')).toBe(true);
  });

  it('long-running operation: the client can wait for the build to finish', async () => {
    const [operation] = await client.createBuild({ projectId: project.projectId, build: trivialBuild(['lro']) });
    const [result] = await operation.promise();
    // Unpacked operation results carry enums as numbers; the pipeline reads both forms.
    expect(result.status).toBe(3);
    expect(parseBuild(result, 'operation result').status).toBe('SUCCESS');
  });

  it('applies substitutions as Cloud Build does, and refuses unmatched ones under MUST_MATCH', async () => {
    const step = { id: 's', name: 'gcr.io/cloud-builders/docker', args: ['$_A', '${_B}', '$$_A', '$PROJECT_ID'] };
    const ok = await cloudBuild.submit({ steps: [step], substitutions: { _A: 'a', _B: 'b' } });
    const [wire] = await client.getBuild({ projectId: project.projectId, id: ok.id });
    expect(wire.steps?.[0]?.args).toEqual(['a', 'b', '$_A', project.projectId]);
    const refused = (build: Parameters<CloudBuild['submit']>[0]) =>
      expect(cloudBuild.submit(build)).rejects.toThrow(BuildRejectedError);
    await refused({ steps: [step], substitutions: { _A: 'a' } });
    await refused({ steps: [step], substitutions: { _A: 'a', _B: 'b', _UNUSED: 'c' } });
    await expect(
      cloudBuild.submit({ steps: [step], substitutions: { _A: 'a' }, options: { substitutionOption: 'ALLOW_LOOSE' } }),
    ).resolves.toMatchObject({ status: 'QUEUED' });
  });

  it('fails a step it cannot run, saying why', async () => {
    const build = await cloudBuild.submit({
      steps: [{ id: 'go', name: 'golang:1.22', args: ['version'] }],
      tags: ['x'],
    });
    await emulator.idle();
    const done = await cloudBuild.get(build.id);
    expect(done).toMatchObject({ status: 'FAILURE', steps: [{ id: 'go', status: 'FAILURE' }] });
    expect(done?.failureDetail).toBe(
      'Build step failure: build step 0 "golang:1.22" failed: step exited with non-zero status: 1',
    );
    expect(emulator.logOf(build.id)).toContain('builder golang:1.22 is not emulated');
  });
});
