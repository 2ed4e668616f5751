import { podman } from '../../local/containers/podman.js';
import { servingImage as servingImageOf } from '../../local/local-release.js';
import { EXECUTION_LABEL } from '../../local/emulators/run/container-tasks.js';
import type { LocalStack } from '../../local/stack.js';
import { waitUntil } from '../../local/wait-until.js';
import { createKubeClient } from '../../shared/deploy/index.js';
import { createFirestoreStore, type RunRecord } from '../../shared/store.js';

/** What the fault-injection tests share: a run in the state a fault needs, the stack while it runs, what serves. */

/** The first run that `match`es, as soon as the stack's Firestore shows it. */
export const runWhere = (stack: LocalStack, match: (run: RunRecord) => boolean): Promise<RunRecord> =>
  waitUntil(
    'a run in the state the fault needs',
    async () => (await createFirestoreStore(stack.firestore).listRuns(20)).find(match),
    { timeoutMs: 180_000, intervalMs: 250 },
  );

/** The stack, as soon as it is up: the release goes on while the test injects its fault. */
export function withStack() {
  let up: (stack: LocalStack) => void = () => undefined;
  const stack = new Promise<LocalStack>((resolve) => (up = resolve));
  return { stack, onStack: (s: LocalStack) => up(s) };
}

const serving = (stack: LocalStack) =>
  createKubeClient(stack.deploy!.kubernetes.kubeConfig()).readDeployment('default', 'tfs-server');

/** The image the serving Deployment's template holds. */
export const servingImage = (stack: LocalStack) => servingImageOf(stack.deploy?.kubernetes.kubeConfig());

/**
 * The serving Deployment's image and generation: generation 1 means its template never held another image, so no
 * pod ran anything but that image.
 */
export const servingHistory = async (stack: LocalStack) => {
  const deployment = await serving(stack);
  return { image: deployment?.spec?.template.spec?.containers[0]?.image, generation: deployment?.metadata?.generation };
};

/**
 * What the stack still has running once its runs have ended: runs, idempotency claims, namespace locks and load-test
 * containers. A run that ended cleanly leaves none.
 */
export async function leftRunning(stack: LocalStack): Promise<string[]> {
  const db = stack.firestore;
  const [runs, claims, locks] = await Promise.all([
    createFirestoreStore(db).runningRuns(),
    db.collection('keys').where('state', '==', 'running').get(),
    db.collection('locks').get(),
  ]);
  const containers = await Promise.all(
    [...(stack.loadTests?.run.executions.keys() ?? [])].map(async (execution) => {
      const ids = await podman(['ps', '-q', '--filter', `label=${EXECUTION_LABEL}=${execution}`]);
      return ids.trim() ? [`the container of execution ${execution}`] : [];
    }),
  );
  return [
    ...runs.map((r) => `run ${r.runId}`),
    ...claims.docs.map((d) => `claim ${d.id}`),
    ...locks.docs.map((d) => `lock ${d.id}`),
    ...containers.flat(),
  ];
}
