import { connect, createServer, type Server, type Socket } from 'node:net';
import type { EmulatedPod } from './emulated-pod.js';
import { refOf, type KubeObject, type ObjectStore } from './object-store.js';

/**
 * Services of type LoadBalancer get a loopback address: one TCP proxy on 127.0.0.1 per service port, each
 * connection going to the next ready pod in turn. That is what an L4 load balancer does to gRPC: a connection
 * (and every call on it) stays on one pod. The address goes into `status.loadBalancer.ingress`, with the proxy
 * ports listed in `ingress[0].ports` in the order of the service's ports.
 */

interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
}

interface Balancer {
  signature: string;
  servers: Server[];
}

export class LoadBalancers {
  private readonly balancers = new Map<string, Balancer>();
  private readonly sockets = new Set<Socket>();
  private readonly next = new Map<string, number>();
  private syncing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: ObjectStore,
    private readonly readyPods: (namespace: string, selector: Record<string, string>) => EmulatedPod[],
  ) {}

  /** Brings the proxies in line with the Services in the store; calls are queued, never concurrent. */
  sync(): Promise<void> {
    this.syncing = this.syncing.then(() => this.syncNow()).catch(() => undefined);
    return this.syncing;
  }

  async close(): Promise<void> {
    await this.syncing;
    for (const socket of this.sockets) socket.destroy();
    [...this.balancers.values()].forEach((b) => b.servers.forEach(closeServer));
    this.balancers.clear();
  }

  private async syncNow(): Promise<void> {
    const services = this.store
      .list('v1', 'Service')
      .filter((s) => (s.spec as { type?: string }).type === 'LoadBalancer');
    const wanted = new Map(services.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]));
    for (const [key, balancer] of this.balancers) {
      const service = wanted.get(key);
      if (!service || this.signature(service) !== balancer.signature) {
        balancer.servers.forEach(closeServer);
        this.balancers.delete(key);
      }
    }
    for (const [key, service] of wanted) {
      if (this.balancers.has(key)) continue;
      const ports = this.ports(service);
      const servers = await Promise.all(ports.map((p) => this.listen(service, p)));
      this.balancers.set(key, { signature: this.signature(service), servers });
      const ingressPorts = servers.map((server, i) => ({
        port: (server.address() as { port: number }).port,
        protocol: ports[i]?.protocol ?? 'TCP',
      }));
      const status = { loadBalancer: { ingress: [{ ip: '127.0.0.1', ipMode: 'Proxy', ports: ingressPorts }] } };
      this.store.putStatus(refOf(service), status);
    }
  }

  private ports(service: KubeObject): ServicePort[] {
    return ((service.spec as { ports?: ServicePort[] }).ports ?? []).filter((p) => (p.protocol ?? 'TCP') === 'TCP');
  }

  private signature(service: KubeObject): string {
    return JSON.stringify([this.ports(service), (service.spec as { selector?: unknown }).selector]);
  }

  private listen(service: KubeObject, port: ServicePort): Promise<Server> {
    const namespace = service.metadata.namespace ?? 'default';
    const selector = (service.spec as { selector?: Record<string, string> }).selector ?? {};
    const key = `${namespace}/${service.metadata.name}:${port.port}`;
    const server = createServer((client) => {
      this.track(client);
      const backends = this.readyPods(namespace, selector)
        .map((pod) => pod.hostPort(port.targetPort ?? port.port))
        .filter((p): p is number => p !== undefined);
      if (backends.length === 0) return void client.destroy();
      const turn = this.next.get(key) ?? 0;
      this.next.set(key, turn + 1);
      const upstream = this.track(connect({ host: '127.0.0.1', port: backends[turn % backends.length] ?? 0 }));
      client.pipe(upstream).pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(server));
    });
  }

  private track(socket: Socket): Socket {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    return socket;
  }
}

/** Stops listening at once; connections already open end on their own (or at close()). */
function closeServer(server: Server): void {
  server.close();
}
