import {
  ApiException,
  KubernetesObjectApi,
  PatchStrategy,
  type KubeConfig,
  type KubernetesObject,
  type V1Deployment,
  type V1Pod,
  type V1Service,
} from '@kubernetes/client-node';
import { ModelshipError, TransientError } from '../errors.js';

/**
 * The few Kubernetes calls the deployer makes, through @kubernetes/client-node's KubernetesObjectApi so that one
 * code path serves every kind: server-side apply (PATCH with `application/apply-patch+yaml`, the field manager
 * and force, which creates what is missing), reads and a pod list. The same client talks to GKE, kind, minikube
 * or the local emulator; only the KubeConfig differs.
 */

export const FIELD_MANAGER = 'modelship';

export interface KubeClient {
  /** Server-side applies each object in order; returns what the server holds afterwards. */
  apply(objects: readonly KubernetesObject[]): Promise<KubernetesObject[]>;
  readDeployment(namespace: string, name: string): Promise<V1Deployment | undefined>;
  readService(namespace: string, name: string): Promise<V1Service | undefined>;
  listPods(namespace: string, labelSelector: string): Promise<V1Pod[]>;
}

function describe(o: KubernetesObject): string {
  return `${o.kind ?? '?'} ${o.metadata?.namespace ?? 'default'}/${o.metadata?.name ?? '?'}`;
}

/** Keeps the API server's own words; a 5xx, 429 or network failure is worth retrying, a 4xx is not. */
function kubeError(what: string, err: unknown): Error {
  if (err instanceof ApiException) {
    let body: unknown = err.body;
    try {
      body = typeof body === 'string' ? JSON.parse(body) : body;
    } catch {
      // Not a Status object: keep the text.
    }
    const status = typeof body === 'object' && body ? (body as { message?: string; reason?: string }) : undefined;
    const answer = status
      ? `${err.code}${status.reason ? ` ${status.reason}` : ''}: ${status.message ?? ''}`
      : `${err.code}: ${String(body)}`;
    const message = `${what}: the Kubernetes API answered ${answer}`;
    if (err.code >= 500 || err.code === 429) return new TransientError(message, { cause: err });
    const hint = err.code === 401 || err.code === 403 ? 'check the credentials and RBAC of the deployer' : undefined;
    return new ModelshipError(message, { cause: err, ...(hint ? { hint } : {}) });
  }
  return new TransientError(`${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

export function createKubeClient(kc: KubeConfig, fieldManager = FIELD_MANAGER): KubeClient {
  const api = KubernetesObjectApi.makeApiClient(kc);

  async function read<T extends KubernetesObject>(apiVersion: string, kind: string, namespace: string, name: string) {
    try {
      return (await api.read({ apiVersion, kind, metadata: { name, namespace } })) as T;
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return undefined;
      throw kubeError(`reading ${kind} ${namespace}/${name}`, err);
    }
  }

  return {
    async apply(objects) {
      const applied: KubernetesObject[] = [];
      for (const object of objects) {
        try {
          // The client fills in defaults on the object it is given; keep the caller's manifests as they are.
          const copy = structuredClone(object);
          applied.push(await api.patch(copy, undefined, undefined, fieldManager, true, PatchStrategy.ServerSideApply));
        } catch (err) {
          throw kubeError(`applying ${describe(object)}`, err);
        }
      }
      return applied;
    },
    readDeployment: (namespace, name) => read<V1Deployment>('apps/v1', 'Deployment', namespace, name),
    readService: (namespace, name) => read<V1Service>('v1', 'Service', namespace, name),
    async listPods(namespace, labelSelector) {
      try {
        const list = await api.list<V1Pod>(
          'v1',
          'Pod',
          namespace,
          undefined,
          undefined,
          undefined,
          undefined,
          labelSelector,
        );
        return list.items;
      } catch (err) {
        throw kubeError(`listing pods ${labelSelector} in ${namespace}`, err);
      }
    },
  };
}
