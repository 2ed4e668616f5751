import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../shared/errors.js';
import { packageRoot } from '../shared/paths.js';

const Endpoint = z.object({ host: z.literal('127.0.0.1'), port: z.number().int().min(0).max(65535) });
const FirebaseJson = z.object({
  emulators: z.object({
    pubsub: Endpoint,
    firestore: Endpoint,
    functions: Endpoint,
    cloudbuild: Endpoint,
    run: Endpoint,
    kubernetes: Endpoint,
    releases: Endpoint,
    registry: Endpoint,
  }),
});

export type EmulatorPorts = { [K in keyof z.infer<typeof FirebaseJson>['emulators']]: number };

/**
 * Every port 0: each server takes a free one, so that several stacks share a machine (`local up --ports auto`, the
 * tests, the benches). The emulators' ports count only when the stack starts its own emulators.
 */
export const AUTO_PORTS: EmulatorPorts = {
  pubsub: 0,
  firestore: 0,
  functions: 0,
  cloudbuild: 0,
  run: 0,
  kubernetes: 0,
  releases: 0,
  registry: 0,
};

/** The local stack's ports, from firebase.json's emulator section (the one place they are written). */
export function emulatorPorts(file = join(packageRoot, 'firebase.json')): EmulatorPorts {
  const parsed = FirebaseJson.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${file}: emulators.${i.path.slice(1).join('.')}: ${i.message}`),
    );
  }
  const e = parsed.data.emulators;
  return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, v.port])) as EmulatorPorts;
}
