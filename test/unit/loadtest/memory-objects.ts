import type { TaskObjects } from '../../../loadtest/task-peers.js';

/** The report store's object operations over a Map, as the directory and the bucket behave. */
export function memoryObjects(): TaskObjects & { readonly objects: Map<string, string> } {
  const objects = new Map<string, string>();
  return {
    objects,
    putObject: async (path, data) => {
      objects.set(path, data);
      return `memory://${path}`;
    },
    getObject: async (path) => objects.get(path),
    list: async (prefix) => [...objects.keys()].filter((k) => k.startsWith(`${prefix}/`)),
  };
}
