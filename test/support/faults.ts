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

/** The image the serving Deployment's template holds. */
export const servingImage = async (stack: LocalStack) => {
  const kube = createKubeClient(stack.deploy!.kubernetes.kubeConfig());
  return (await kube.readDeployment('default', 'tfs-server'))?.spec?.template.spec?.containers[0]?.image;
};
