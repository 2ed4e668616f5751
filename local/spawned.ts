/**
 * The processes the emulators start for a stack in process mode (pods as tfs-sim, load-test tasks): they are spawned
 * deep inside the Kubernetes and Cloud Run emulators, which know nothing of the stack. Each is announced here, and the
 * stack running in this process records it in its ledger (process-ledger.ts), so that a stack killed with SIGKILL
 * leaves none of them to the next one.
 */
const listeners = new Set<(pid: number) => void>();

export function noteSpawned(pid: number | undefined): void {
  if (pid !== undefined) for (const listener of listeners) listener(pid);
}

/** Calls `listener` with each process announced until the returned function is called. */
export function onSpawned(listener: (pid: number) => void): () => void {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}
