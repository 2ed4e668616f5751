import { hasField, messagesAt, stringAt, valuesAt } from './proto-fields.js';

/**
 * What Google checks before each gRPC method the pipeline calls: the permission(s), and the resource they are
 * checked on, read from the request's first message (field numbers from the protos the client packages ship). A
 * method with no rule here is refused: the gateway lets through nothing it has not been taught to check.
 */

export type GatewayService = 'pubsub' | 'firestore' | 'cloudbuild' | 'run';

export interface Check {
  permission: string;
  /** Full resource name, as policy.ts takes it. */
  resource: string;
}

export interface Request {
  message: Buffer;
  /** Request headers (Firestore's clients name the database in `google-cloud-resource-prefix`). */
  headers: Record<string, string | string[] | undefined>;
}

type Rule = (request: Request) => Check[];

const need = (value: string | undefined, what: string): string => {
  if (!value) throw new Error(`the request names no ${what}`);
  return value;
};

/** `projects/P` from any name under a project (`projects/P/locations/L/...`). */
const projectOf = (name: string | undefined): string | undefined => name?.match(/^projects\/[^/]+/)?.[0];

// --- Pub/Sub (google/pubsub/v1/pubsub.proto): PublishRequest.topic = 1, GetTopicRequest.topic = 1.
const topicRule =
  (permission: string): Rule =>
  ({ message }) => [{ permission, resource: need(stringAt(message, [1]), 'topic') }];

// --- Firestore (google/firestore/v1/firestore.proto). Permissions as Firestore's IAM page lists them per method.
/** The database of a request: its `database`, `parent` or `name` field (all field 1), else the routing header. */
function database({ message, headers }: Request, field: readonly number[] = [1]): string {
  const named = stringAt(message, field) ?? String(headers['google-cloud-resource-prefix'] ?? '');
  return need(named.match(/^projects\/[^/]+\/databases\/[^/]+/)?.[0], 'Firestore database');
}

const onDatabase =
  (...permissions: string[]): Rule =>
  (request) => {
    const resource = database(request);
    return permissions.map((permission) => ({ permission, resource }));
  };

/**
 * What a batch of writes needs (Write: update = 1, delete = 2, current_document = 4, a Precondition of oneof
 * exists = 1 / update_time = 2): a delete deletes; an update that must not exist creates, one that must exist
 * updates, and one without precondition (a set) may do either, so needs both. No writes: the empty commit that
 * ends a read-only transaction.
 */
const writes =
  (field: number): Rule =>
  (request) => {
    const needed = new Set<string>();
    for (const write of messagesAt(request.message, [field])) {
      // A oneof member is sent even when false, so `exists: false` is present as 0.
      const exists = valuesAt(write, [4, 1])[0];
      if (hasField(write, [2])) needed.add('datastore.entities.delete');
      else if (exists === 1n || hasField(write, [4, 2])) needed.add('datastore.entities.update');
      else if (exists === 0n) needed.add('datastore.entities.create');
      else needed.add('datastore.entities.create').add('datastore.entities.update');
    }
    if (needed.size === 0) needed.add('datastore.databases.get');
    const resource = database(request);
    return [...needed].map((permission) => ({ permission, resource }));
  };

// --- Cloud Build (google/devtools/cloudbuild/v1/cloudbuild.proto): builds are granted on the project only.
/** The project of a Cloud Build request: `project_id` = 1, else the `parent`/`name` field given. */
const buildProject = (message: Buffer, nameField: number): string =>
  need(
    stringAt(message, [1]) ? `projects/${stringAt(message, [1])}` : projectOf(stringAt(message, [nameField])),
    'project',
  );

const onBuildProject =
  (permission: string, nameField: number): Rule =>
  ({ message }) => [{ permission, resource: buildProject(message, nameField) }];

/** CreateBuildRequest: parent = 4, build = 2 with Build.service_account = 42 (`projects/P/serviceAccounts/EMAIL`). */
const createBuild: Rule = ({ message }) => {
  const checks = [{ permission: 'cloudbuild.builds.create', resource: buildProject(message, 4) }];
  const account = stringAt(message, [2, 42]);
  // Running a build as another identity is acting as it.
  if (account) {
    checks.push({
      permission: 'iam.serviceAccounts.actAs',
      resource: `projects/-/serviceAccounts/${account.split('/').at(-1)}`,
    });
  }
  return checks;
};

/** Operation names: `operations/build/P/ID` (global builds) or `projects/P/locations/L/operations/ID`. */
const operationProject = (message: Buffer): string => {
  const name = need(stringAt(message, [1]), 'operation');
  const global = name.match(/^operations\/build\/([^/]+)/)?.[1];
  return need(projectOf(name) ?? (global && `projects/${global}`), 'project');
};

// --- Cloud Run (google/cloud/run/v2/job.proto, execution.proto): jobs carry their IAM policy; executions inherit it.
const onName =
  (permission: string, what: string): Rule =>
  ({ message }) => [{ permission, resource: need(stringAt(message, [1]), what) }];

/** RunJobRequest: name = 1, overrides = 4. Overriding arguments or environment needs its own permission. */
const runJob: Rule = ({ message }) => {
  const job = need(stringAt(message, [1]), 'job');
  const checks = [{ permission: 'run.jobs.run', resource: job }];
  if (hasField(message, [4])) checks.push({ permission: 'run.jobs.runWithOverrides', resource: job });
  return checks;
};

const GET_OPERATION = '/google.longrunning.Operations/GetOperation';

export const RULES: Record<GatewayService, Record<string, Rule>> = {
  pubsub: {
    '/google.pubsub.v1.Publisher/Publish': topicRule('pubsub.topics.publish'),
    '/google.pubsub.v1.Publisher/GetTopic': topicRule('pubsub.topics.get'),
  },
  firestore: {
    '/google.firestore.v1.Firestore/GetDocument': onDatabase('datastore.entities.get'),
    '/google.firestore.v1.Firestore/BatchGetDocuments': onDatabase('datastore.entities.get'),
    '/google.firestore.v1.Firestore/ListDocuments': onDatabase('datastore.entities.get', 'datastore.entities.list'),
    '/google.firestore.v1.Firestore/RunQuery': onDatabase('datastore.entities.get', 'datastore.entities.list'),
    '/google.firestore.v1.Firestore/RunAggregationQuery': onDatabase(
      'datastore.entities.get',
      'datastore.entities.list',
    ),
    '/google.firestore.v1.Firestore/ListCollectionIds': onDatabase('datastore.entities.list'),
    '/google.firestore.v1.Firestore/BeginTransaction': onDatabase('datastore.databases.get'),
    '/google.firestore.v1.Firestore/Rollback': onDatabase('datastore.databases.get'),
    '/google.firestore.v1.Firestore/Commit': writes(2),
    '/google.firestore.v1.Firestore/BatchWrite': writes(2),
  },
  cloudbuild: {
    '/google.devtools.cloudbuild.v1.CloudBuild/CreateBuild': createBuild,
    '/google.devtools.cloudbuild.v1.CloudBuild/GetBuild': onBuildProject('cloudbuild.builds.get', 4),
    '/google.devtools.cloudbuild.v1.CloudBuild/ListBuilds': onBuildProject('cloudbuild.builds.list', 9),
    '/google.devtools.cloudbuild.v1.CloudBuild/CancelBuild': onBuildProject('cloudbuild.builds.update', 4),
    [GET_OPERATION]: ({ message }) => [{ permission: 'cloudbuild.builds.get', resource: operationProject(message) }],
  },
  run: {
    '/google.cloud.run.v2.Jobs/RunJob': runJob,
    '/google.cloud.run.v2.Jobs/GetJob': onName('run.jobs.get', 'job'),
    '/google.cloud.run.v2.Executions/GetExecution': onName('run.executions.get', 'execution'),
    '/google.cloud.run.v2.Executions/ListExecutions': onName('run.executions.list', 'job'),
    [GET_OPERATION]: ({ message }) => [{ permission: 'run.operations.get', resource: operationProject(message) }],
  },
};

/** The checks of a call, or undefined when the method has no rule. Throws when the request lacks the resource. */
export function checksFor(service: GatewayService, method: string, request: Request): Check[] | undefined {
  return RULES[service][method]?.(request);
}
