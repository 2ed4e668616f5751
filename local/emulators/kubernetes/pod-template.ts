import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ObjectStore } from './object-store.js';
import type { ProbedContainer } from './probe.js';

/** The parts of a pod template the emulator runs, and the projection of its ConfigMap volumes into files. */

export interface Container extends ProbedContainer {
  name: string;
  image: string;
  args?: string[];
  env?: Array<{ name: string; value?: string }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  resources?: { limits?: Record<string, string> };
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    containers: Container[];
    volumes?: Array<{ name: string; configMap?: { name: string } }>;
    terminationGracePeriodSeconds?: number;
  };
}

/** A volume that cannot be mounted yet: the pod stays ContainerCreating, as on a node. */
export class MountError extends Error {
  override readonly name = 'MountError';
}

/**
 * Writes each ConfigMap volume the (first) container mounts into `<dir>/<volume>/<key>`, as the kubelet projects
 * them, and returns where each mountPath lives on this machine. A missing ConfigMap fails, as the mount would.
 */
export function projectVolumes(
  store: ObjectStore,
  template: PodTemplate,
  namespace: string,
  dir: string,
): Array<{ mountPath: string; hostPath: string }> {
  return (template.spec.containers[0]?.volumeMounts ?? []).map((mount) => {
    const configMap = template.spec.volumes?.find((v) => v.name === mount.name)?.configMap?.name;
    if (!configMap) throw new Error(`volume "${mount.name}": the emulator projects configMap volumes only`);
    const found = store.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name: configMap });
    if (!found) {
      throw new MountError(`MountVolume.SetUp failed for volume "${mount.name}": configmap "${configMap}" not found`);
    }
    const hostPath = join(dir, mount.name);
    mkdirSync(hostPath, { recursive: true });
    for (const [key, text] of Object.entries((found.data ?? {}) as Record<string, string>)) {
      writeFileSync(join(hostPath, key), text);
    }
    return { mountPath: mount.mountPath, hostPath };
  });
}
