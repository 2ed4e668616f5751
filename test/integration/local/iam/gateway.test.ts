import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { CloudBuildClient } from '@google-cloud/cloudbuild';
import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { JobsClient } from '@google-cloud/run';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { loadGoogleApi, packAny, serviceOf } from '../../../../local/emulators/google-api/load-api.js';
import { startRunEmulator, type RunEmulator } from '../../../../local/emulators/run/run-emulator.js';
import { startIamGateway, type IamGateway } from '../../../../local/iam/gateway.js';
import type { Grant } from '../../../../operator/gcp/iam.js';
import { clientOptions } from '../../../../shared/gcp/client-options.js';
import { createJobRunner } from '../../../../shared/gcp/cloud-run.js';
import { subscribe } from '../../../support/emulators.js';

/**
 * The gateway between the real Google clients and the real emulators: each member's own listener lets through what
 * the grants allow, byte for byte, and refuses the rest as Google does. The clients get their host from settings, not
 * from the emulator variables (which would take precedence), so that each one is a member.
 */

const PROJECT = `iam-${randomBytes(4).toString('hex')}`;
const account = (id: string) => `${id}@${PROJECT}.iam.gserviceaccount.com`;
const member = (id: string) => `serviceAccount:${account(id)}`;
const JOB = `projects/${PROJECT}/locations/us-central1/jobs/loadtest`;
const DATABASE = `projects/${PROJECT}/databases/(default)`;
const denied = (permission: string, resource: string) => ({
  code: grpc.status.PERMISSION_DENIED,
  details: `Permission '${permission}' denied on resource '${resource}' (or it may not exist).`,
});

const grant = (id: string, role: string, on: Grant['on']): Grant => ({ member: member(id), role, on, why: 'test' });
const GRANTS: Grant[] = [
  grant('publisher', 'roles/pubsub.publisher', { kind: 'topic', name: 'topic-a' }),
  grant('store', 'roles/datastore.user', { kind: 'project', project: PROJECT }),
  grant('submitter', 'roles/cloudbuild.builds.editor', { kind: 'project', project: PROJECT }),
  grant('trusted-submitter', 'roles/cloudbuild.builds.editor', { kind: 'project', project: PROJECT }),
  grant('trusted-submitter', 'roles/iam.serviceAccountUser', { kind: 'service-account', email: account('bake') }),
  grant('executor', 'roles/run.jobsExecutor', { kind: 'job', name: 'loadtest', region: 'us-central1' }),
  grant('launcher', 'roles/run.jobsExecutorWithOverrides', { kind: 'job', name: 'loadtest', region: 'us-central1' }),
];

/** A Cloud Build upstream that accepts any build and keeps the requests it got. */
async function fakeCloudBuild(): Promise<{ host: string; created: unknown[]; stop(): Promise<void> }> {
  const api = loadGoogleApi('@google-cloud/cloudbuild', ['google/devtools/cloudbuild/v1/cloudbuild.proto']);
  const created: unknown[] = [];
  const server = new grpc.Server();
  server.addService(serviceOf(api, 'google.devtools.cloudbuild.v1.CloudBuild'), {
    createBuild: (call: grpc.ServerUnaryCall<{ build: unknown }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      created.push(call.request.build);
      const build = { id: 'b-1', projectId: PROJECT, status: 'QUEUED' };
      const metadata = packAny(api.root, 'google.devtools.cloudbuild.v1.BuildOperationMetadata', { build });
      callback(null, { name: `projects/${PROJECT}/locations/global/operations/op-1`, done: false, metadata });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    host: `127.0.0.1:${port}`,
    created,
    stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}

let gateway: IamGateway;
let run: RunEmulator;
let cloudBuild: Awaited<ReturnType<typeof fakeCloudBuild>>;
const logDir = mkdtempSync(join(tmpdir(), 'modelship-iam-'));
const direct = new PubSub({ projectId: PROJECT, apiEndpoint: inject('pubsubHost') });
const closers: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  process.env.METADATA_SERVER_DETECTION = 'none';
  delete process.env.PUBSUB_EMULATOR_HOST;
  delete process.env.FIRESTORE_EMULATOR_HOST;
  await Promise.all([direct.createTopic('topic-a'), direct.createTopic('topic-b')]);
  run = await startRunEmulator({ logDir, jobs: { [JOB]: { command: [process.execPath, '-e', ''] } } });
  cloudBuild = await fakeCloudBuild();
  gateway = startIamGateway({
    project: PROJECT,
    grants: GRANTS,
    upstreams: {
      pubsub: inject('pubsubHost'),
      firestore: inject('firestoreHost'),
      cloudbuild: cloudBuild.host,
      run: `127.0.0.1:${run.port}`,
    },
  });
});

afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
  await direct.close();
  await gateway?.stop();
  await Promise.all([run?.stop(), cloudBuild?.stop()]);
  rmSync(logDir, { recursive: true, force: true });
});

async function pubsubAs(id: string): Promise<PubSub> {
  const client = new PubSub({ projectId: PROJECT, apiEndpoint: await gateway.hostFor(member(id), 'pubsub') });
  closers.push(() => client.close());
  return client;
}

async function firestoreAs(id: string): Promise<Firestore> {
  const [host, port] = (await gateway.hostFor(member(id), 'firestore')).split(':');
  const client = new Firestore({ projectId: PROJECT, host, port: Number(port), ssl: false });
  closers.push(() => client.terminate());
  return client;
}

async function clientAs<T extends { close(): Promise<void> }>(
  id: string,
  service: 'cloudbuild' | 'run',
  make: (options: ReturnType<typeof clientOptions>) => T,
): Promise<T> {
  const client = make(clientOptions(await gateway.hostFor(member(id), service)));
  closers.push(() => client.close());
  return client;
}

describe('the IAM gateway', () => {
  it('gives each member and service a listener of its own, on loopback', async () => {
    const a = await gateway.hostFor(member('publisher'), 'pubsub');
    expect(a).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await gateway.hostFor(member('publisher'), 'pubsub')).toBe(a);
    expect(await gateway.hostFor(member('store'), 'pubsub')).not.toBe(a);
    expect(await gateway.hostFor(member('publisher'), 'firestore')).not.toBe(a);
  });

  it('lets a publisher publish to its topic, and the message arrives; refuses another topic', async () => {
    const inbox = await subscribe(direct, 'topic-a');
    closers.push(() => inbox.close());
    const pubsub = await pubsubAs('publisher');
    const noBatching = { batching: { maxMessages: 1, maxMilliseconds: 0 } };
    const id = await pubsub.topic('topic-a', noBatching).publishMessage({ data: Buffer.from('hello') });
    const [message] = await inbox.waitFor(1);
    expect(message?.id).toBe(id);
    expect(message?.data.toString()).toBe('hello');

    await expect(pubsub.topic('topic-b', noBatching).publishMessage({ data: Buffer.from('no') })).rejects.toMatchObject(
      denied('pubsub.topics.publish', `projects/${PROJECT}/topics/topic-b`),
    );
    expect(gateway.denials).toContainEqual(
      expect.objectContaining({
        member: member('publisher'),
        method: '/google.pubsub.v1.Publisher/Publish',
        permission: 'pubsub.topics.publish',
        resource: `projects/${PROJECT}/topics/topic-b`,
      }),
    );
  });

  it('lets a Cloud Datastore user read, write, query and run transactions; refuses anyone else', async () => {
    const db = await firestoreAs('store');
    const runs = db.collection(`runs-${randomBytes(3).toString('hex')}`);
    await runs.doc('r1').create({ n: 1 });
    // The emulator's own errors come back through the gateway unchanged.
    await expect(runs.doc('r1').create({ n: 9 })).rejects.toMatchObject({ code: grpc.status.ALREADY_EXISTS });
    await runs.doc('r1').set({ status: 'running' }, { merge: true });
    const moved = await db.runTransaction(async (tx) => {
      const snap = await tx.get(runs.doc('r1'));
      tx.set(runs.doc('r2'), { n: (snap.data()?.n as number) + 1 });
      return snap.data();
    });
    expect(moved).toEqual({ n: 1, status: 'running' });
    // RunQuery streams its answers back through the gateway.
    const all = await runs.orderBy('n').get();
    expect(all.docs.map((d) => [d.id, d.data().n])).toEqual([
      ['r1', 1],
      ['r2', 2],
    ]);
    await runs.doc('r2').delete();
    expect((await runs.doc('r2').get()).exists).toBe(false);

    const stranger = await firestoreAs('publisher');
    // A refused read stream costs seconds: the client retries a stream that ended without response headers twice.
    await expect(stranger.collection(runs.id).doc('r1').get()).rejects.toMatchObject(
      denied('datastore.entities.get', DATABASE),
    );
    await expect(stranger.collection(runs.id).doc('r3').create({ n: 3 })).rejects.toMatchObject(
      denied('datastore.entities.create', DATABASE),
    );
  });

  it('refuses a build that runs as a service account the submitter may not act as', async () => {
    const build = { serviceAccount: `projects/${PROJECT}/serviceAccounts/${account('bake')}`, steps: [{ name: 'x' }] };
    const submitter = await clientAs('submitter', 'cloudbuild', (o) => new CloudBuildClient(o));
    await expect(submitter.createBuild({ projectId: PROJECT, build })).rejects.toMatchObject(
      denied('iam.serviceAccounts.actAs', `projects/-/serviceAccounts/${account('bake')}`),
    );
    expect(cloudBuild.created).toEqual([]);

    const trusted = await clientAs('trusted-submitter', 'cloudbuild', (o) => new CloudBuildClient(o));
    const [operation] = await trusted.createBuild({ projectId: PROJECT, build });
    expect((operation.metadata as { build?: { id?: string } }).build?.id).toBe('b-1');
    expect(cloudBuild.created).toEqual([expect.objectContaining({ serviceAccount: build.serviceAccount })]);
  });

  it('runs a job with overrides only for a member with run.jobs.runWithOverrides', async () => {
    const executor = await clientAs('executor', 'run', (o) => new JobsClient(o));
    const overrides = { args: ['--rate=5'], env: {}, taskCount: 1, timeoutS: 60 };
    await expect(createJobRunner(executor, JOB).run(overrides)).rejects.toMatchObject({
      cause: denied('run.jobs.runWithOverrides', JOB),
    });
    // Without overrides, run.jobs.run is enough.
    const [plain] = await executor.runJob({ name: JOB });
    expect((plain.metadata as { name?: string }).name).toMatch(`${JOB}/executions/`);

    const launcher = await clientAs('launcher', 'run', (o) => new JobsClient(o));
    const { execution } = await createJobRunner(launcher, JOB).run(overrides);
    expect(run.executions.get(execution)?.args).toEqual(['--rate=5']);
  });

  it('refuses a method it has no rule for, and says where rules go', async () => {
    const launcher = await clientAs('launcher', 'run', (o) => new JobsClient(o));
    await expect(launcher.listJobs({ parent: `projects/${PROJECT}/locations/us-central1` })).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
      details: expect.stringContaining(
        'no rule for /google.cloud.run.v2.Jobs/ListJobs: add one in local/iam/methods.ts',
      ),
    });
    // A method with a rule, which the grants do not allow: the executor roles cannot read the job.
    await expect(launcher.getJob({ name: JOB })).rejects.toMatchObject(denied('run.jobs.get', JOB));
  });
});
