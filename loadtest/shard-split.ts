/**
 * A share of the one global plan. Shard `index` of `count` takes request n (open) or user n (closed) of the plan
 * when n ≡ index (mod count), so the shards' loads add up to exactly the plan, spread evenly over its whole span.
 */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** The whole plan: a run that is not split across Cloud Run tasks. */
export const WHOLE_PLAN: Shard = { index: 0, count: 1 };

/**
 * Thread `thread` of a task that is itself shard `task` of the plan, as a shard of the plan: index
 * thread.index·task.count + task.index of task.count·thread.count. Its n ≡ index (mod task.count·thread.count)
 * implies n ≡ task.index (mod task.count), and the task's threads together take every such n: a task's threads
 * split its share exactly as one task's threads split the whole plan (with WHOLE_PLAN, thread i of W is i of W).
 */
export function composeShard(task: Shard, thread: Shard): Shard {
  return { index: thread.index * task.count + task.index, count: task.count * thread.count };
}
