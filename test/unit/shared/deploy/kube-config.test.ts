import { describe, expect, it } from 'vitest';
import { gkeKubeConfig, kubeConfigFor, type ClusterAccess } from '../../../../shared/deploy/index.js';

const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');
const CLUSTER = 'projects/p/locations/europe-west4/clusters/serving';

function access(
  cluster: Awaited<ReturnType<ClusterAccess['getCluster']>>,
  token: string | null = 'ya29.token',
): ClusterAccess & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    getCluster: async (name) => {
      asked.push(name);
      return cluster;
    },
    accessToken: async () => token,
  };
}

describe('gkeKubeConfig', () => {
  it("builds a KubeConfig from the cluster's endpoint and CA and a Google access token", async () => {
    const a = access({ endpoint: '34.90.1.2', masterAuth: { clusterCaCertificate: CA } });
    const kc = await gkeKubeConfig(a, CLUSTER, 'serving');
    expect(a.asked).toEqual([CLUSTER]);
    expect(kc.getCurrentCluster()).toMatchObject({
      name: 'serving',
      server: 'https://34.90.1.2',
      caData: CA,
      skipTLSVerify: false,
    });
    expect(kc.getCurrentUser()).toMatchObject({ token: 'ya29.token' });
    expect(kc.getContextObject(kc.getCurrentContext())?.namespace).toBe('serving');
    // The bearer token goes on every request.
    const headers: Record<string, string> = {};
    await kc.applyToHTTPSOptions({ headers } as never);
    expect(headers.Authorization).toBe('Bearer ya29.token');
  });

  it('says what is missing: an endpoint, a CA, a token', async () => {
    await expect(gkeKubeConfig(access({ masterAuth: { clusterCaCertificate: CA } }), CLUSTER)).rejects.toThrow(
      `GKE cluster ${CLUSTER} has no endpoint (is the cluster still being created?)`,
    );
    await expect(gkeKubeConfig(access({ endpoint: '34.90.1.2', masterAuth: null }), CLUSTER)).rejects.toThrow(
      `GKE cluster ${CLUSTER} has no CA certificate`,
    );
    await expect(
      gkeKubeConfig(access({ endpoint: '34.90.1.2', masterAuth: { clusterCaCertificate: CA } }, null), CLUSTER),
    ).rejects.toThrow(
      `no Google access token for cluster ${CLUSTER} (the function needs a service account with roles/container.developer)`,
    );
  });
});

describe('kubeConfigFor', () => {
  it('allows plain HTTP only for an http:// server (the local emulator)', () => {
    expect(kubeConfigFor({ name: 'local', server: 'http://127.0.0.1:1234' }).getCurrentCluster()?.skipTLSVerify).toBe(
      true,
    );
    expect(
      kubeConfigFor({ name: 'gke', server: 'https://10.0.0.1', caData: CA }).getCurrentCluster()?.skipTLSVerify,
    ).toBe(false);
  });
});
