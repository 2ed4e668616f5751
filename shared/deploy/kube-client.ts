import {
  ApiException,
  IsomorphicFetchHttpLibrary,
  KubernetesObjectApi,
  PatchStrategy,
  wrapHttpLibrary,
  type Configuration,
  type HttpLibrary,
  type KubeConfig,
  type KubernetesObject,
  type V1Deployment,
  type V1Pod,
  type V1Service,
} from '@kubernetes/client-node';
import { errorMessage, ModelshipError, TransientError } from '../errors.js';
import { callTimeout } from '../call-timeout.js';

/**
 * The few Kubernetes calls the deployer makes, through @kubernetes/client-node's KubernetesObjectApi so that one
 * code path serves every kind: server-side apply (PATCH with `application/apply-patch+yaml`, the field manager
 * and force, which creates what is missing), reads, a pod list and deletes. The same client talks to GKE, kind, minikube
 * or the local emulator; only the KubeConfig differs. Every request has a deadline (`timeoutMs`): without one a hung
 * API server holds a request for undici's 300 s headers timeout, most of the function's time.
 */

export const FIELD_MANAGER = 'modelship';
const PROPAGATION = 'Background';
/** Far above a healthy API server's answer (well under a second), far below undici's 300 s. */
export const KUBE_TIMEOUT_MS = 20_000;

export interface KubeClientOptions {
  fieldManager?: string;
  /** How long one request may take, from sending it to the last byte of the answer. */
  timeoutMs?: number;
}

export interface KubeClient {
  /** Server-side applies each object in order; returns what the server holds afterwards. */
  apply(objects: readonly KubernetesObject[]): Promise<KubernetesObject[]>;
  readDeployment(namespace: string, name: string): Promise<V1Deployment | undefined>;
  readService(namespace: string, name: string): Promise<V1Service | undefined>;
  listPods(namespace: string, labelSelector: string): Promise<V1Pod[]>;
  /**
   * Deletes each object by kind, namespace and name, in order; one already gone is fine. Propagation is Background
   * (the API's default for Deployments, and kubectl's): the Deployment goes at once and the garbage collector then
   * removes its ReplicaSets and pods, each terminating gracefully. The call does not wait for the pods: whoever
   * needs their nodes back lists them by the Deployment's selector until none is left.
   */
  delete(objects: readonly KubernetesObject[]): Promise<void>;
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
  return new TransientError(`${what}: ${errorMessage(err)}`, { cause: err });
}

/**
 * client-node's own fetch, with a deadline per request. The abort reason is the error the caller gets, from the
 * request or from reading its answer (which client-node does after send() returns), so it names the call; a request
 * that cannot be sent (a refused connection, a TLS failure) is named too. Both are transient.
 */
function boundedFetch(timeoutMs: number): HttpLibrary {
  const fetchLibrary = new IsomorphicFetchHttpLibrary();
  return wrapHttpLibrary({
    async send(request) {
      const call = `Kubernetes API: ${request.getHttpMethod()} ${new URL(request.getUrl()).pathname}`;
      // Armed once, not cleared on an answer: it also bounds the body.
      const timeout = callTimeout(timeoutMs);
      timeout.arm(`${call} did not answer within ${timeout.span}`);
      request.setSignal(timeout.signal);
      try {
        return await fetchLibrary.send(request).toPromise();
      } catch (err) {
        if (err === timeout.signal.reason) throw err;
        // undici's "fetch failed" keeps the reason (connect ECONNREFUSED 10.0.0.1:443) in its cause.
        const why = err instanceof Error && err.cause !== undefined ? err.cause : err;
        throw new TransientError(`${call} failed: ${errorMessage(why)}`, { cause: err });
      }
    },
  });
}

/**
 * KubernetesObjectApi.makeApiClient(kc) on the bounded fetch: kc.makeApiClient builds the configuration (server,
 * credentials, user agent) but takes no HTTP library, so the class it instantiates swaps it in.
 */
function objectApi(kc: KubeConfig, timeoutMs: number): KubernetesObjectApi {
  const httpApi = boundedFetch(timeoutMs);
  return kc.makeApiClient(
    class extends KubernetesObjectApi {
      constructor(configuration: Configuration) {
        super({ ...configuration, httpApi });
        this.setDefaultNamespace(kc);
      }
    },
  );
}

export function createKubeClient(kc: KubeConfig, options: KubeClientOptions = {}): KubeClient {
  const { fieldManager = FIELD_MANAGER, timeoutMs = KUBE_TIMEOUT_MS } = options;
  const api = objectApi(kc, timeoutMs);

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
    async delete(objects) {
      for (const object of objects) {
        try {
          await api.delete(structuredClone(object), undefined, undefined, undefined, undefined, PROPAGATION);
        } catch (err) {
          if (err instanceof ApiException && err.code === 404) continue;
          throw kubeError(`deleting ${describe(object)}`, err);
        }
      }
    },
  };
}
