import { describe, expect, it } from 'vitest';
import type { Action, Plan } from '../../../../operator/gcp/action.js';
import { applyPlan, checkPlan } from '../../../../operator/gcp/apply-plan.js';
import type { RunOptions, RunResult } from '../../../../operator/gcp/command-runner.js';
import { ModelshipError } from '../../../../shared/errors.js';

/** The executor against a tiny scripted world: a map of things, each read as JSON or absent. */
function world(initial: Record<string, unknown> = {}) {
  const things = new Map(Object.entries(initial));
  const calls: { argv: readonly string[]; stdin?: string }[] = [];
  const failures: RunResult[] = [];
  const run = async (argv: readonly string[], options: RunOptions = {}): Promise<RunResult> => {
    calls.push({ argv, ...(options.stdin ? { stdin: options.stdin } : {}) });
    const [verb, name = '', value] = argv;
    if (verb === 'lookup') return { code: 0, stdout: `${name}-value\n`, stderr: '' };
    if (verb === 'read') {
      return things.has(name)
        ? { code: 0, stdout: JSON.stringify(things.get(name)), stderr: '' }
        : { code: 1, stdout: '', stderr: `ERROR: (gcloud.x.describe) NOT_FOUND: ${name} not found.` };
    }
    const failure = failures.shift();
    if (failure) return failure;
    things.set(name, value === undefined ? options.stdin : JSON.parse(value));
    return { code: 0, stdout: '', stderr: '' };
  };
  return { things, calls, failures, run };
}

const thing = (name: string, wanted: unknown, extra: Partial<Action> = {}): Action => ({
  id: name,
  kind: 'resource',
  description: `thing ${name}`,
  read: { argv: ['read', name] },
  diff: (found) => (JSON.stringify(found) === JSON.stringify(wanted) ? [] : [`wanted ${JSON.stringify(wanted)}`]),
  create: { argv: ['set', name, JSON.stringify(wanted)] },
  update: { argv: ['set', name, JSON.stringify(wanted)] },
  ...extra,
});

function deps(run: ReturnType<typeof world>['run'], sleeps: number[] = []) {
  const printed: string[] = [];
  return {
    printed,
    deps: {
      run,
      newSecret: () => 'generated-secret',
      sleep: async (ms: number) => void sleeps.push(ms),
      print: (l: string) => printed.push(l),
    },
  };
}

describe('applyPlan', () => {
  it('creates what is absent, changes what differs, leaves the rest, and a second run changes nothing', async () => {
    const w = world({ b: 1, c: 2 });
    const plan: Plan = { actions: [thing('a', 1), thing('b', 2), thing('c', 2)], lookups: {} };
    const first = deps(w.run);
    const report = await applyPlan(plan, first.deps);
    expect(report.results.map((o) => o.status)).toEqual(['created', 'changed', 'unchanged']);
    expect(first.printed.at(-1)).toBe('1 created, 1 changed, 0 granted, 1 unchanged.');
    expect(first.printed).toContain('        wanted 2');

    const before = w.calls.length;
    const second = deps(w.run);
    await applyPlan(plan, second.deps);
    expect(w.calls.slice(before).every((c) => c.argv[0] === 'read')).toBe(true);
    expect(second.printed.at(-1)).toBe('No changes: all 3 actions were already in place.');
  });

  it('says when a change did not produce what was wanted', async () => {
    const w = world();
    const wrong = thing('a', 1, { create: { argv: ['set', 'a', '5'] } });
    const { printed, deps: d } = deps(w.run);
    await applyPlan({ actions: [wrong], lookups: {} }, d);
    expect(printed).toContain('        still differs after the change: wanted 1');
  });

  it('stops at a missing prerequisite with its hint, and runs nothing after it', async () => {
    const w = world();
    const prerequisite = thing('cluster', 1, {
      kind: 'require',
      create: undefined,
      update: undefined,
      hint: 'create it first',
    });
    const run = applyPlan({ actions: [prerequisite, thing('b', 1)], lookups: {} }, deps(w.run).deps);
    await expect(run).rejects.toThrow(
      new ModelshipError('thing cluster: not found (ERROR: (gcloud.x.describe) NOT_FOUND: cluster not found.)', {
        hint: 'create it first',
      }),
    );
    expect(w.calls.map((c) => c.argv.join(' '))).toEqual(['read cluster']);
  });

  it('refuses a difference it cannot change', async () => {
    const w = world({ db: 'DATASTORE_MODE' });
    const run = applyPlan(
      { actions: [thing('db', 'FIRESTORE_NATIVE', { update: undefined })], lookups: {} },
      deps(w.run).deps,
    );
    await expect(run).rejects.toThrow(/thing db: wanted "FIRESTORE_NATIVE" \(apply cannot change this/);
  });

  it('runs each lookup once, when first needed, resolving lookups that need others', async () => {
    const w = world();
    const plan: Plan = {
      actions: [
        thing('x', 1, { create: { argv: ['set', '${SUB}', '1'] }, read: { argv: ['read', '${SUB}'] } }),
        thing('y', 1, { create: { argv: ['set', 'y-${TRIGGER}', '1'] }, read: { argv: ['read', 'y-${TRIGGER}'] } }),
      ],
      lookups: {
        TRIGGER: { name: 'TRIGGER', description: 'the trigger', command: { argv: ['lookup', 'trigger'] } },
        SUB: { name: 'SUB', description: 'the subscription', command: { argv: ['lookup', 'sub-of-${TRIGGER}'] } },
      },
    };
    await applyPlan(plan, deps(w.run).deps);
    expect(w.calls.filter((c) => c.argv[0] === 'lookup').map((c) => c.argv[1])).toEqual([
      'trigger',
      'sub-of-trigger-value',
    ]);
    expect([...w.things.keys()]).toEqual(['sub-of-trigger-value-value', 'y-trigger-value']);
  });

  it('reads a shared policy once until something changes', async () => {
    const w = world({ policy: 'same' });
    const reader = (id: string) => thing(id, 'same', { read: { argv: ['read', 'policy'] } });
    await applyPlan(
      { actions: [reader('p1'), reader('p2'), thing('z', 1), reader('p3')], lookups: {} },
      deps(w.run).deps,
    );
    expect(w.calls.filter((c) => c.argv.join(' ') === 'read policy')).toHaveLength(2);
  });

  it('retries what passes by itself, with growing pauses, and gives up with the cause and a hint', async () => {
    const w = world();
    const sleeps: number[] = [];
    const propagation = {
      code: 1,
      stdout: '',
      stderr: 'ERROR: INVALID_ARGUMENT: Service account a@p.iam.gserviceaccount.com does not exist.',
    };
    w.failures.push(propagation, propagation);
    await applyPlan({ actions: [thing('a', 1)], lookups: {} }, deps(w.run, sleeps).deps);
    expect(sleeps).toEqual([5000, 10000]);
    expect(w.things.get('a')).toBe(1);

    w.failures.push({ code: 1, stdout: '', stderr: 'ERROR: (gcloud.x) PERMISSION_DENIED: caller lacks x' });
    await expect(applyPlan({ actions: [thing('b', 1)], lookups: {} }, deps(w.run).deps)).rejects.toThrow(
      /creating: thing b: `set b 1` exited with 1:\nERROR: \(gcloud\.x\) PERMISSION_DENIED: caller lacks x \(the account running apply needs roles\/owner/,
    );
  });

  it('generates a secret only when it writes one, feeds it on stdin, and never prints it', async () => {
    const w = world();
    const secret = thing('s', 'generated-secret', { create: { argv: ['set', 's'], stdin: { generatedSecret: true } } });
    const { printed, deps: d } = deps(w.run);
    const report = await applyPlan({ actions: [secret], lookups: {} }, d);
    expect(report.generatedSecret).toBe('generated-secret');
    expect(w.calls.find((c) => c.argv[0] === 'set')?.stdin).toBe('generated-secret');
    expect(printed.join('\n')).not.toContain('generated-secret');
    expect((await applyPlan({ actions: [secret], lookups: {} }, deps(w.run).deps)).generatedSecret).toBeUndefined();
  });
});

describe('checkPlan', () => {
  it('reports each piece as ok, missing, differs or error, and changes nothing', async () => {
    const w = world({ ok: 1, differs: 2 });
    w.run = ((inner) => async (argv: readonly string[], o?: RunOptions) =>
      argv[1] === 'broken' ? { code: 1, stdout: '', stderr: 'ERROR: PERMISSION_DENIED: no' } : inner(argv, o))(w.run);
    const report = await checkPlan(
      { actions: [thing('ok', 1), thing('missing', 1), thing('differs', 1), thing('broken', 1)], lookups: {} },
      deps(w.run).deps,
    );
    expect(report.results.map((r) => r.status)).toEqual(['ok', 'missing', 'differs', 'error']);
    expect(report.results[3]?.detail[0]).toBe('ERROR: PERMISSION_DENIED: no');
    expect(w.calls.every((c) => c.argv[0] === 'read')).toBe(true);
  });
});
