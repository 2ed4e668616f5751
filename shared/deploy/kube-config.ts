import { KubeConfig } from '@kubernetes/client-node';
import type { ClusterManagerClient } from '@google-cloud/container';
import { ModelshipError } from '../errors.js';

/**
 * A KubeConfig for one GKE cluster, built per invocation from the cluster's endpoint and CA (Container API) and a
 * short-lived Google access token: no kubeconfig file, no gcloud, no long-lived credentials in the function.
 */

export interface ClusterAccess {
  /** `projects/P/locations/L/clusters/C` → the endpoint host and the base64 CA certificate. */
  getCluster(
    name: string,
  ): Promise<{ endpoint?: string | null; masterAuth?: { clusterCaCertificate?: string | null } | null }>;
  /** An OAuth access token with the cloud-platform scope. */
  accessToken(): Promise<string | null | undefined>;
}

export interface KubeConfigOptions {
  /** A name for the cluster and context, for messages. */
  name: string;
  /** `https://HOST` (GKE, the local emulator) or `http://127.0.0.1:PORT` for a plain test server. */
  server: string;
  /** Base64 PEM of the cluster CA. */
  caData?: string;
  token?: string;
  namespace?: string;
}

export function kubeConfigFor(options: KubeConfigOptions): KubeConfig {
  const kc = new KubeConfig();
  // client-node refuses plain HTTP unless TLS verification is off; for http:// there is no TLS to verify.
  const plainHttp = options.server.startsWith('http://');
  kc.loadFromOptions({
    clusters: [{ name: options.name, server: options.server, caData: options.caData, skipTLSVerify: plainHttp }],
    users: [{ name: 'modelship', ...(options.token ? { token: options.token } : {}) }],
    contexts: [
      { name: options.name, cluster: options.name, user: 'modelship', namespace: options.namespace ?? 'default' },
    ],
    currentContext: options.name,
  });
  return kc;
}

/** The KubeConfig of a GKE cluster, for the identity the access token belongs to. */
export async function gkeKubeConfig(access: ClusterAccess, cluster: string, namespace?: string): Promise<KubeConfig> {
  const found = await access.getCluster(cluster);
  const endpoint = found.endpoint;
  const caData = found.masterAuth?.clusterCaCertificate;
  if (!endpoint || !caData) {
    throw new ModelshipError(`GKE cluster ${cluster} has no ${endpoint ? 'CA certificate' : 'endpoint'}`, {
      hint: 'is the cluster still being created?',
    });
  }
  const token = await access.accessToken();
  if (!token) {
    throw new ModelshipError(`no Google access token for cluster ${cluster}`, {
      hint: 'the function needs a service account with roles/container.developer',
    });
  }
  return kubeConfigFor({
    name: cluster.split('/').at(-1) ?? cluster,
    server: `https://${endpoint}`,
    caData,
    token,
    ...(namespace ? { namespace } : {}),
  });
}

/** ClusterAccess through the Container API client and the Google credentials it already holds. */
export function clusterAccess(client: ClusterManagerClient): ClusterAccess {
  return {
    getCluster: async (name) => (await client.getCluster({ name }))[0],
    accessToken: () => client.auth.getAccessToken(),
  };
}
