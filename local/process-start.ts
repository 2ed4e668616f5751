import { readFileSync } from 'node:fs';

/**
 * A process's start time (/proc/PID/stat field 22, clock ticks since boot), or undefined when it is not running: a PID
 * and its start time name one process, where a PID alone may since have been given to another.
 */
export function processStart(pid: number): string | undefined {
  try {
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** This process as a stack's owner: `PID-START`, the value of the containers' owner label. */
export const stackOwner = (): string => `${process.pid}-${processStart(process.pid) ?? ''}`;
