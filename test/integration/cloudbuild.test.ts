import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudBuildClient } from '@google-cloud/cloudbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startCloudBuildEmulator,
  type CloudBuildEmulator,
} from '../../local/emulators/cloudbuild/cloudbuild-emulator.js';
import { containerSteps } from '../../local/emulators/cloudbuild/container-step.js';
import { parseBuild } from '../../shared/bake/build-view.js';
import { clientOptions } from '../../shared/gcp/client-options.js';
import { BuildRejectedError, createCloudBuild, type CloudBuild } from '../../shared/gcp/cloud-build.js';
import { createMemoryLogger } from '../support/memory-logger.js';
import { TOPICS } from '../../shared/topics.js';
import { cloudBuildContract, trivialBuild } from '../support/cloud-build-contract.js';
import { subscribe, testProject, type Inbox, type TestProject } from '../support/emulators.js';
import { localImages } from '../support/local-images.js';

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
    executeStep: containerSteps({ builders: localImages().builders }),
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
    expect(log).toContain('Step #0 - "hello": hello');
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

  it('fails a step whose image cannot be pulled, saying why', async () => {
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
    expect(emulator.logOf(build.id)).toContain(
      'failed to pull image "golang:1.22": the local Cloud Build pulls only from the local registry',
    );
  });
});

describe('each step is a container of its image, as Cloud Build runs it', () => {
  const finished = async (steps: NonNullable<Parameters<CloudBuild['submit']>[0]['steps']>, timeoutS = 60) => {
    const build = await cloudBuild.submit({ steps, timeout: { seconds: timeoutS } });
    await emulator.idle();
    const [wire] = await client.getBuild({ projectId: project.projectId, id: build.id });
    return { wire, view: await cloudBuild.get(build.id), log: emulator.logOf(build.id) ?? '' };
  };

  it('runs `modelship` from the tool image in /workspace, shared by the steps, with `dir` and $BUILDER_OUTPUT', async () => {
    const { wire, log } = await finished([
      {
        id: 'write',
        name: localImages().modelship,
        entrypoint: 'sh',
        args: ['-c', 'echo model > release.txt && id -u'],
      },
      { id: 'cli', name: localImages().modelship, entrypoint: 'modelship', args: ['bake', '--help'] },
      {
        id: 'read',
        name: localImages().modelship,
        entrypoint: 'sh',
        dir: 'sub',
        args: ['-c', 'pwd; cat ../release.txt; printf "%s" "$$(cat ../release.txt)@out" > "$$BUILDER_OUTPUT/output"'],
      },
    ]);
    expect(wire.status, log).toBe('SUCCESS');
    expect(log).toContain('Step #0 - "write": 0');
    expect(log).toContain('Step #2 - "read": /workspace/sub');
    expect(log).toContain('Step #2 - "read": model');
    expect(Buffer.from(wire.results?.buildStepOutputs?.[2] ?? '').toString()).toBe('model@out');
  });

  it('refuses an entrypoint that is not on the image PATH, as runc does', async () => {
    const { wire, view, log } = await finished([
      { id: 'fetch', name: localImages().loadTester, entrypoint: 'not-a-command', args: ['x'] },
    ]);
    expect(wire.status).toBe('FAILURE');
    expect(view?.failureDetail).toMatch(
      /^Build step failure: build step 0 ".+" failed: step exited with non-zero status: 12[67]$/,
    );
    expect(log).toMatch(/executable file not found in \$PATH/);
  });

  it('lets a non-root image fail to write /workspace, which Cloud Build mounts root-owned', async () => {
    const { wire, log } = await finished([
      { id: 'touch', name: localImages().loadTester, entrypoint: 'sh', args: ['-c', 'touch /workspace/x'] },
    ]);
    expect(wire.status).toBe('FAILURE');
    expect(wire.steps?.[0]?.status).toBe('FAILURE');
    expect(log).toContain("touch: cannot touch '/workspace/x': Permission denied");
  });

  it('runs steps with waitFor side by side, and times a step out on its own timeout', async () => {
    const sleeper = (id: string) => ({
      id,
      name: localImages().modelship,
      entrypoint: 'sh',
      waitFor: ['-'],
      args: ['-c', `date +%s%N > /workspace/${id}.start; sleep 2; date +%s%N > /workspace/${id}.end`],
    });
    const { wire, log } = await finished([
      sleeper('a'),
      sleeper('b'),
      {
        id: 'check',
        name: localImages().modelship,
        entrypoint: 'sh',
        waitFor: ['a', 'b'],
        // Each started before the other ended: they ran at the same time.
        args: [
          '-c',
          '[ "$(cat a.start)" -lt "$(cat b.end)" ] && [ "$(cat b.start)" -lt "$(cat a.end)" ] && echo overlapped',
        ],
      },
      { id: 'slow', name: localImages().modelship, entrypoint: 'sleep', args: ['30'], timeout: { seconds: 1 } },
      { id: 'never', name: localImages().modelship, entrypoint: 'true' },
    ]);
    expect(log).toContain('Step #2 - "check": overlapped');
    expect(wire.status).toBe('FAILURE');
    expect(wire.steps?.map((s) => s.status)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS', 'TIMEOUT', 'QUEUED']);
    expect(log).toContain('Step #3 - "slow": ERROR: Step timed out after 1s');
  });

  it('fails a step whose image is not in the registry, with the registry error', async () => {
    const missing = `${localImages().registry}/modelship/nothing@sha256:${'0'.repeat(64)}`;
    const { wire, log } = await finished([{ id: 'x', name: missing, args: [] }]);
    expect(wire.status).toBe('FAILURE');
    expect(log).toContain(`failed to pull image "${missing}"`);
    expect(log).toMatch(/manifest unknown|not found/i);
  });
});
