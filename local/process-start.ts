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

/** A PID and its start time: one process, for as long as it runs. */
export interface ProcessId {
  pid: number;
  start: string;
}

export const processId = (pid: number): ProcessId => ({ pid, start: processStart(pid) ?? '' });

/** Whether that process still runs: its PID not gone, nor since given to another process. */
export const stillRunning = (p: ProcessId): boolean => processStart(p.pid) === p.start;

/** A process as a stack's owner: `PID-START`, the value of the containers' owner label. */
export const ownerLabel = (p: ProcessId): string => `${p.pid}-${p.start}`;

/** This process as a stack's owner. */
export const stackOwner = (): string => ownerLabel(processId(process.pid));
