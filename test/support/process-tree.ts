import { readdirSync, readFileSync } from 'node:fs';

/** Processes as Linux's /proc shows them: a process tree, and whether a process still runs. */

const stat = (pid: number): { ppid: number; state: string } | undefined => {
  try {
    // `pid (comm) state ppid ...`; comm may hold spaces and parentheses, so read after the last ')'.
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state = '', ppid = ''] = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(ppid), state };
  } catch {
    return undefined;
  }
};

/** Every process descended from `pid` now (children, theirs, ...). */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    const child = Number(name);
    const parent = Number.isInteger(child) ? stat(child)?.ppid : undefined;
    if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), child]);
  }
  const found: number[] = [];
  const visit = (p: number) => (children.get(p) ?? []).forEach((c) => (found.push(c), visit(c)));
  visit(pid);
  return found;
}

/**
 * Whether `pid` still runs: /proc has it, and it is not a zombie (which has exited and waits only for a parent to
 * reap it; here PID 1 may never do that for orphans).
 */
export function runningNow(pid: number): boolean {
  const state = stat(pid)?.state;
  return state !== undefined && state !== 'Z';
}
