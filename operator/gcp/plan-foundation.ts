import { TOPICS } from '../../shared/topics.js';
import type { Action } from './action.js';
import type { GcpConfig } from './config-schema.js';
import { gcloudRead, gcloudRun } from './gcloud-args.js';
import { at, compareFields } from './json-path.js';
import { DEAD_LETTER_TOPIC, type Names } from './names.js';
import { SERVICE_ACCOUNTS, type AccountKey } from '../../shared/wiring.js';
import { hasEnabledVersion } from './plan-requirements.js';

/**
 * What the functions stand on: Firestore, the registries, the bucket, the topics, the webhook secret and the
 * service accounts. All of it through gcloud: every step is a command a person can read and run, and `describe`
 * is a uniform existence check.
 */

/** A resource with nothing to compare: existing is matching. */
const exists = () => [];

function resource(id: string, description: string, parts: Pick<Action, 'read' | 'diff' | 'create' | 'update'>): Action {
  return { id, kind: 'resource', description, ...parts };
}

function storage(config: GcpConfig, names: Names): Action[] {
  const { project, region, bucket, registry } = config;
  const repositories = [
    [registry.models, 'baked TF Serving images'],
    [registry.pipeline, 'the load-test job image'],
  ] as const;
  return [
    resource('firestore', `Firestore database (default) in ${names.firestoreLocation}, native mode`, {
      read: gcloudRead(project, 'firestore', 'databases', 'describe', '--database=(default)'),
      diff: (db) => compareFields([['type', 'FIRESTORE_NATIVE', at(db, 'type')]]),
      create: gcloudRun(
        project,
        'firestore',
        'databases',
        'create',
        '--database=(default)',
        `--location=${names.firestoreLocation}`,
        '--type=firestore-native',
      ),
    }),
    ...repositories.map(([name, what]) =>
      resource(`repository ${name}`, `Artifact Registry repository ${name} (${region}) for ${what}`, {
        read: gcloudRead(project, 'artifacts', 'repositories', 'describe', name, `--location=${region}`),
        diff: (r) => compareFields([['format', 'DOCKER', at(r, 'format')]]),
        create: gcloudRun(
          project,
          'artifacts',
          'repositories',
          'create',
          name,
          '--repository-format=docker',
          `--location=${region}`,
          `--description=modelship: ${what}`,
        ),
      }),
    ),
    resource(`bucket ${bucket}`, `Bucket gs://${bucket} (${region}) for load-test reports, private`, {
      read: gcloudRead(project, 'storage', 'buckets', 'describe', `gs://${bucket}`),
      diff: (b) =>
        compareFields([
          ['uniform_bucket_level_access', true, at(b, 'uniform_bucket_level_access')],
          ['public_access_prevention', 'enforced', at(b, 'public_access_prevention')],
        ]),
      create: gcloudRun(
        project,
        'storage',
        'buckets',
        'create',
        `gs://${bucket}`,
        `--location=${region}`,
        '--uniform-bucket-level-access',
        '--public-access-prevention',
      ),
      update: gcloudRun(
        project,
        'storage',
        'buckets',
        'update',
        `gs://${bucket}`,
        '--uniform-bucket-level-access',
        '--public-access-prevention',
      ),
    }),
  ];
}

/** The run watcher's tick: Cloud Scheduler's finest schedule, once a minute. */
export const WATCH_SCHEDULE = '* * * * *';
export const WATCH_JOB = 'modelship-watch-runs';
export const WATCH_MESSAGE = JSON.stringify({ type: 'WatchRuns', version: 1 });

function messaging(config: GcpConfig): Action[] {
  const { project, github, region } = config;
  const tick = [
    `--location=${region}`,
    `--schedule=${WATCH_SCHEDULE}`,
    // The whole path: gcloud does not take a scheduler job's topic from --project.
    `--topic=projects/${project}/topics/${TOPICS.watchRuns}`,
    `--message-body=${WATCH_MESSAGE}`,
  ];
  const topics = [...Object.values(TOPICS), DEAD_LETTER_TOPIC];
  const keep = ['--message-retention-duration=7d', '--expiration-period=never'];
  return [
    ...topics.map((topic) =>
      resource(`topic ${topic}`, `Pub/Sub topic ${topic}`, {
        read: gcloudRead(project, 'pubsub', 'topics', 'describe', topic),
        diff: exists,
        create: gcloudRun(project, 'pubsub', 'topics', 'create', topic),
      }),
    ),
    resource(
      `subscription ${DEAD_LETTER_TOPIC}`,
      `Pull subscription ${DEAD_LETTER_TOPIC}: dead letters kept 7 days to inspect`,
      {
        read: gcloudRead(project, 'pubsub', 'subscriptions', 'describe', DEAD_LETTER_TOPIC),
        diff: (s) =>
          compareFields([
            ['messageRetentionDuration', '604800s', at(s, 'messageRetentionDuration')],
            ['expirationPolicy.ttl', undefined, at(s, 'expirationPolicy.ttl')],
          ]),
        create: gcloudRun(
          project,
          'pubsub',
          'subscriptions',
          'create',
          DEAD_LETTER_TOPIC,
          `--topic=${DEAD_LETTER_TOPIC}`,
          ...keep,
        ),
        update: gcloudRun(project, 'pubsub', 'subscriptions', 'update', DEAD_LETTER_TOPIC, ...keep),
      },
    ),
    resource(`scheduler ${WATCH_JOB}`, `Cloud Scheduler job ${WATCH_JOB}: a tick on ${TOPICS.watchRuns} every minute`, {
      read: gcloudRead(project, 'scheduler', 'jobs', 'describe', WATCH_JOB, `--location=${region}`),
      diff: (j) =>
        compareFields([
          ['schedule', WATCH_SCHEDULE, at(j, 'schedule')],
          ['topic', `projects/${project}/topics/${TOPICS.watchRuns}`, at(j, 'pubsubTarget.topicName')],
          ['message', Buffer.from(WATCH_MESSAGE).toString('base64'), at(j, 'pubsubTarget.data')],
        ]),
      create: gcloudRun(project, 'scheduler', 'jobs', 'create', 'pubsub', WATCH_JOB, ...tick),
      update: gcloudRun(project, 'scheduler', 'jobs', 'update', 'pubsub', WATCH_JOB, ...tick),
    }),
    resource(`secret ${github.webhookSecret}`, `Secret Manager secret ${github.webhookSecret} (the webhook secret)`, {
      read: gcloudRead(project, 'secrets', 'describe', github.webhookSecret),
      diff: exists,
      create: gcloudRun(project, 'secrets', 'create', github.webhookSecret, '--replication-policy=automatic'),
    }),
    resource(
      `secret ${github.webhookSecret} value`,
      `A generated value for ${github.webhookSecret}, kept when one exists`,
      {
        read: gcloudRead(project, 'secrets', 'versions', 'list', github.webhookSecret),
        diff: hasEnabledVersion,
        update: {
          ...gcloudRun(project, 'secrets', 'versions', 'add', github.webhookSecret, '--data-file=-'),
          stdin: { generatedSecret: true },
        },
      },
    ),
  ];
}

function serviceAccounts(config: GcpConfig, names: Names): Action[] {
  return (Object.keys(SERVICE_ACCOUNTS) as AccountKey[]).map((key) => {
    const { id, runs } = SERVICE_ACCOUNTS[key];
    return resource(`service account ${id}`, `Service account ${id}, the identity of ${runs}`, {
      read: gcloudRead(config.project, 'iam', 'service-accounts', 'describe', names.email(key)),
      diff: exists,
      create: gcloudRun(config.project, 'iam', 'service-accounts', 'create', id, `--display-name=modelship: ${runs}`),
    });
  });
}

export function foundationActions(config: GcpConfig, names: Names): Action[] {
  return [...storage(config, names), ...messaging(config), ...serviceAccounts(config, names)];
}
