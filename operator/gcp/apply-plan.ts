import { ModelshipError } from '../../shared/errors.js';
import type { Action, Plan } from './action.js';
import { lastLines } from './gcloud-errors.js';
import { CommandError, PlanSession, type SessionDeps } from './plan-session.js';

/**
 * The executor. `apply` reads each resource first and changes only what is missing or different, so a second
 * apply runs no change at all and says so. `check` does the reads alone and reports every piece, changing
 * nothing. Both print one line per action as they go.
 */

export interface ExecutorDeps extends SessionDeps {
  print: (line: string) => void;
}

/** `granted`: an IAM binding added (a policy is never created or replaced, only extended). */
export type Outcome = 'unchanged' | 'created' | 'changed' | 'granted';
const OUTCOMES: readonly Outcome[] = ['created', 'changed', 'granted', 'unchanged'];
export type CheckStatus = 'ok' | 'missing' | 'differs' | 'error';

export interface ApplyReport {
  results: { id: string; status: Outcome; detail: string[] }[];
  /** The webhook secret, when this apply generated it (never otherwise). */
  generatedSecret: string | undefined;
  session: PlanSession;
}

export interface CheckReport {
  results: { id: string; status: CheckStatus; detail: string[] }[];
  session: PlanSession;
}

async function applyOne(action: Action, session: PlanSession): Promise<{ status: Outcome; detail: string[] }> {
  await session.prepare([action.read, action.create, action.update]);
  const state = await session.read(action.read);
  if (state.absent) {
    if (!action.create) {
      throw new ModelshipError(`${action.description}: not found (${lastLines(state.stderr, 1)})`, hintOf(action));
    }
    await session.change(`creating: ${action.description}`, action.create);
    return { status: action.kind === 'iam' ? 'granted' : 'created', detail: [] };
  }
  const differences = action.diff(state.found, session.values);
  if (differences.length === 0) return { status: 'unchanged', detail: [] };
  if (!action.update) {
    throw new ModelshipError(`${action.description}: ${differences.join('; ')}`, {
      hint: action.hint ?? 'apply cannot change this: change it by hand, or change the config to match',
    });
  }
  await session.change(`changing: ${action.description}`, action.update);
  return action.kind === 'iam' ? { status: 'granted', detail: [] } : { status: 'changed', detail: differences };
}

const hintOf = (action: Action) => (action.hint ? { hint: action.hint } : {});

/** After a change, what is there should match; if not, the model of that resource is off: say so, go on. */
async function verify(action: Action, session: PlanSession): Promise<string[]> {
  const state = await session.read(action.read);
  if (state.absent) return ['still not found after the change'];
  return action.diff(state.found, session.values).map((d) => `still differs after the change: ${d}`);
}

/** Runs `step` on each action in order, printing one line per action (and its details) as it goes. */
async function eachAction<S extends string>(
  plan: Plan,
  deps: ExecutorDeps,
  step: (action: Action, session: PlanSession) => Promise<{ status: S; detail: string[] }>,
) {
  const session = new PlanSession(plan, deps);
  const results: { id: string; status: S; detail: string[] }[] = [];
  const total = plan.actions.length;
  for (const [i, action] of plan.actions.entries()) {
    const { status, detail } = await step(action, session);
    deps.print(`[${String(i + 1).padStart(String(total).length)}/${total}] ${status.padEnd(9)} ${action.description}`);
    for (const line of detail) deps.print(`        ${line}`);
    results.push({ id: action.id, status, detail });
  }
  return { results, session };
}

export async function applyPlan(plan: Plan, deps: ExecutorDeps): Promise<ApplyReport> {
  const { results, session } = await eachAction(plan, deps, async (action, s) => {
    const { status, detail } = await applyOne(action, s);
    return { status, detail: status === 'unchanged' ? detail : [...detail, ...(await verify(action, s))] };
  });
  const count = (outcome: Outcome) => results.filter((r) => r.status === outcome).length;
  deps.print(
    count('unchanged') === results.length
      ? `No changes: all ${results.length} actions were already in place.`
      : `${OUTCOMES.map((o) => `${count(o)} ${o}`).join(', ')}.`,
  );
  return { results, generatedSecret: session.generatedSecret, session };
}

async function checkOne(action: Action, session: PlanSession): Promise<{ status: CheckStatus; detail: string[] }> {
  try {
    await session.prepare([action.read, action.create, action.update]);
    const state = await session.read(action.read);
    if (state.absent) return { status: 'missing', detail: [lastLines(state.stderr, 1)] };
    const differences = action.diff(state.found, session.values);
    return { status: differences.length ? 'differs' : 'ok', detail: differences };
  } catch (err) {
    // A lookup that finds nothing (a function not deployed yet) makes the pieces after it missing, not fatal.
    if (err instanceof CommandError) {
      return {
        status: err.notFound ? 'missing' : 'error',
        detail: [err.reason, ...(err.hint ? [`(${err.hint})`] : [])],
      };
    }
    throw err;
  }
}

export async function checkPlan(plan: Plan, deps: ExecutorDeps): Promise<CheckReport> {
  return eachAction(plan, deps, checkOne);
}
