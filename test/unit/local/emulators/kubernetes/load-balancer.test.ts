import { connect } from 'node:net';
import type { V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { INTERNAL_LB_ANNOTATION, serviceEndpoint } from '../../../../../shared/deploy/index.js';
import { waitUntil } from '../../../../../local/wait-until.js';
import { readConnection, testDeployment, useEmulator } from './emulator-fixture.js';
import { fakeLauncher, type FakeBehaviour } from './fake-launcher.js';

const start = useEmulator();

const labels = { app: 'lb' };
const service = (ports: Array<[string, number]>) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'lb', namespace: 'default' },
  spec: {
    type: 'LoadBalancer',
    selector: labels,
    ports: ports.map(([name, port]) => ({ name, port, targetPort: 'grpc', protocol: 'TCP' })),
  },
});

describe('LoadBalancer services', () => {
  it('get a loopback address whose connections go round-robin to the ready pods only', async () => {
    let launched = 0;
    // The third pod never becomes ready: it must get no connections.
    const behaviour = (): FakeBehaviour => (launched++ === 2 ? { readyAfterMs: 'never' } : {});
    const { kube } = await start({ launcher: fakeLauncher(behaviour).launcher, timeScale: 0.01 });
    await kube.apply([service([['grpc', 8500]])]);
    const endpoint = await waitUntil('an address', async () =>
      serviceEndpoint(await kube.readService('default', 'lb')),
    );
    expect(endpoint).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await readConnection(endpoint)).toBe(''); // no pods yet: closed at once

    await kube.apply([testDeployment('lb', 'img', 3)]);
    await waitUntil('two ready pods', async () =>
      (await kube.readDeployment('default', 'lb'))?.status?.readyReplicas === 2 ? true : undefined,
    );
    const ready = (await kube.listPods('default', 'app=lb'))
      .filter((p) => p.status?.conditions?.[0]?.status === 'True')
      .map((p) => p.metadata?.name);
    const answers: string[] = [];
    for (let i = 0; i < 6; i++) answers.push(await readConnection(endpoint));
    expect(new Set(answers)).toEqual(new Set(ready));
    expect(answers.slice(0, 2)).toEqual(answers.slice(2, 4)); // strict turns
  });

  it('lists its own ports in the ingress, in the order of the service ports, and follows port changes', async () => {
    const { kube } = await start({ launcher: fakeLauncher().launcher });
    await kube.apply([
      service([
        ['grpc', 8500],
        ['restapi', 8501],
      ]),
    ]);
    const ingress = async () =>
      ((await kube.readService('default', 'lb')) as V1Service | undefined)?.status?.loadBalancer?.ingress?.[0];
    const first = await waitUntil('ingress', async () =>
      (await ingress())?.ports?.length === 2 ? ingress() : undefined,
    );
    expect(first).toMatchObject({ ip: '127.0.0.1', ports: [{ protocol: 'TCP' }, { protocol: 'TCP' }] });
    expect(first?.ports?.[0]?.port).not.toBe(first?.ports?.[1]?.port);
    await kube.apply([service([['grpc', 8500]])]);
    const second = await waitUntil('one port', async () =>
      (await ingress())?.ports?.length === 1 ? ingress() : undefined,
    );
    expect(second?.ports).toHaveLength(1);
  });

  it("give an internal one (GKE's annotation, as every scenario renders) a loopback address too", async () => {
    const { kube } = await start({ launcher: fakeLauncher().launcher });
    const internal = service([['grpc', 8500]]);
    await kube.apply([
      { ...internal, metadata: { ...internal.metadata, annotations: { [INTERNAL_LB_ANNOTATION]: 'Internal' } } },
    ]);
    const endpoint = await waitUntil('an address', async () =>
      serviceEndpoint(await kube.readService('default', 'lb')),
    );
    expect(endpoint).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it("free a deleted Service's port", async () => {
    const { kube } = await start({ launcher: fakeLauncher().launcher });
    await kube.apply([service([['grpc', 8500]])]);
    const endpoint = await waitUntil('an address', async () =>
      serviceEndpoint(await kube.readService('default', 'lb')),
    );
    expect(await refused(endpoint)).toBe(false);
    await kube.delete([service([])]);
    await waitUntil('the port to be closed', async () => ((await refused(endpoint)) ? true : undefined));
    // Deleting it again finds nothing, and that is fine.
    await kube.delete([service([])]);
  });
});

/** Whether a connection to host:port is refused (nothing listens there). */
function refused(endpoint: string): Promise<boolean> {
  const [host, port] = endpoint.split(':');
  return new Promise((resolve) => {
    const socket = connect({ host: host ?? '', port: Number(port) });
    socket.on('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}
