import { describe, expect, it } from 'vitest';
import { loadGoogleApi } from '../../../../local/emulators/google-api/load-api.js';
import { checksFor } from '../../../../local/iam/methods.js';

/** Requests encoded by protobufjs from the client packages' own protos: the field numbers are the real ones. */
function encoder(pkg: string, file: string) {
  const { root } = loadGoogleApi(pkg, [file]);
  return (type: string, value: Record<string, unknown>) => {
    const t = root.lookupType(type);
    return Buffer.from(t.encode(t.fromObject(value)).finish());
  };
}

const firestore = encoder('@google-cloud/firestore', 'google/firestore/v1/firestore.proto');
const cloudbuild = encoder('@google-cloud/cloudbuild', 'google/devtools/cloudbuild/v1/cloudbuild.proto');
const DB = 'projects/p/databases/(default)';
const doc = { name: `${DB}/documents/runs/r1`, fields: {} };
const permissions = (service: 'firestore' | 'cloudbuild', method: string, message: Buffer, headers = {}) =>
  checksFor(service, method, { message, headers })?.map((c) => `${c.permission} ${c.resource}`);

describe('checksFor', () => {
  it('asks of a Firestore commit what each write does', () => {
    const commit = (writes: unknown[]) =>
      permissions(
        'firestore',
        '/google.firestore.v1.Firestore/Commit',
        firestore('google.firestore.v1.CommitRequest', { database: DB, writes }),
      );
    expect(commit([{ update: doc, currentDocument: { exists: false } }])).toEqual([`datastore.entities.create ${DB}`]);
    expect(commit([{ update: doc, currentDocument: { exists: true } }])).toEqual([`datastore.entities.update ${DB}`]);
    expect(commit([{ update: doc }])).toEqual([`datastore.entities.create ${DB}`, `datastore.entities.update ${DB}`]);
    expect(commit([{ delete: doc.name }])).toEqual([`datastore.entities.delete ${DB}`]);
    expect(commit([])).toEqual([`datastore.databases.get ${DB}`]);
  });

  it('finds the Firestore database in the request, else in the routing header', () => {
    const query = firestore('google.firestore.v1.RunQueryRequest', { parent: `${DB}/documents/runs/r1` });
    expect(permissions('firestore', '/google.firestore.v1.Firestore/RunQuery', query)).toEqual([
      `datastore.entities.get ${DB}`,
      `datastore.entities.list ${DB}`,
    ]);
    const other = 'projects/p/databases/other';
    expect(
      permissions('firestore', '/google.firestore.v1.Firestore/BeginTransaction', Buffer.alloc(0), {
        'google-cloud-resource-prefix': other,
      }),
    ).toEqual([`datastore.databases.get ${other}`]);
    expect(() => permissions('firestore', '/google.firestore.v1.Firestore/BeginTransaction', Buffer.alloc(0))).toThrow(
      /no Firestore database/,
    );
  });

  it('checks builds on their project, and acting as the service account a build runs as', () => {
    const create = (request: Record<string, unknown>) =>
      permissions(
        'cloudbuild',
        '/google.devtools.cloudbuild.v1.CloudBuild/CreateBuild',
        cloudbuild('google.devtools.cloudbuild.v1.CreateBuildRequest', request),
      );
    expect(create({ parent: 'projects/p/locations/global', build: {} })).toEqual([
      'cloudbuild.builds.create projects/p',
    ]);
    expect(
      create({
        projectId: 'p',
        build: { serviceAccount: 'projects/p/serviceAccounts/bake@p.iam.gserviceaccount.com' },
      }),
    ).toEqual([
      'cloudbuild.builds.create projects/p',
      'iam.serviceAccounts.actAs projects/-/serviceAccounts/bake@p.iam.gserviceaccount.com',
    ]);
    const operation = (name: string) =>
      permissions(
        'cloudbuild',
        '/google.longrunning.Operations/GetOperation',
        cloudbuild('google.longrunning.GetOperationRequest', { name }),
      );
    expect(operation('operations/build/p/abc')).toEqual(['cloudbuild.builds.get projects/p']);
    expect(operation('projects/p/locations/global/operations/abc')).toEqual(['cloudbuild.builds.get projects/p']);
  });

  it('has no rule for a method the pipeline does not call', () => {
    expect(
      checksFor('pubsub', '/google.pubsub.v1.Publisher/DeleteTopic', { message: Buffer.alloc(0), headers: {} }),
    ).toBeUndefined();
  });
});
