import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import type {
  ContainerExit,
  ContainerLaunch,
  PodLauncher,
  RunningContainer,
} from '../../../../../local/emulators/kubernetes/index.js';
import { ImagePullError } from '../../../../../local/emulators/kubernetes/index.js';

/**
 * Pods for unit tests, in this process: a REST port whose `/v1/models/NAME/metadata` answers 200 once the pod is
 * "loaded" (404 before, as TF Serving), and a gRPC port that writes the pod's name to each connection, so a test
 * can see which pod a load balancer picked. How each pod behaves is chosen per launch.
 */

export interface FakeBehaviour {
  /** Milliseconds until the model is AVAILABLE; 'never' keeps it loading. */
  readyAfterMs?: number | 'never';
  /** How many metadata requests succeed before the model is gone again (a startup probe passes, readiness not). */
  availableFor?: number;
  /** Exit with code 1 this long after starting. */
  crashAfterMs?: number;
  /** Throw ImagePullError. */
  missingImage?: boolean;
}

export interface FakeLauncher {
  launcher: PodLauncher;
  launches: ContainerLaunch[];
  /** Containers still running. */
  running(): number;
}

async function listen(server: HttpServer | TcpServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

export function fakeLauncher(behaviour: (launch: ContainerLaunch) => FakeBehaviour = () => ({})): FakeLauncher {
  const launches: ContainerLaunch[] = [];
  let running = 0;
  const launcher: PodLauncher = async (launch) => {
    launches.push(launch);
    const b = behaviour(launch);
    if (b.missingImage) throw new ImagePullError(`image ${launch.image} not found`);
    const startedAt = Date.now();
    const loaded = () => b.readyAfterMs !== 'never' && Date.now() - startedAt >= (b.readyAfterMs ?? 0);
    const model = launch.env.MODEL_NAME ?? 'model';
    let answered = 0;
    const rest = createHttpServer((req, res) => {
      const ok = req.url === `/v1/models/${model}/metadata` && loaded() && answered++ < (b.availableFor ?? Infinity);
      res.writeHead(ok ? 200 : 404).end(ok ? '{}' : '{"error":"Servable not found"}');
    });
    // Probes and proxies hang up at once: a reset is normal here.
    const grpc = createTcpServer((socket) => socket.on('error', () => undefined).end(launch.podName));
    const ports = new Map([
      [8500, await listen(grpc)],
      [8501, await listen(rest)],
    ]);
    running++;
    let finish: (exit: ContainerExit) => void = () => undefined;
    const exited = new Promise<ContainerExit>((resolve) => (finish = resolve));
    let done = false;
    const shut = (exit: ContainerExit) => {
      if (done) return;
      done = true;
      clearTimeout(crash);
      rest.closeAllConnections();
      rest.close();
      grpc.close();
      running--;
      finish(exit);
    };
    const crash =
      b.crashAfterMs === undefined ? undefined : setTimeout(() => shut({ code: 1, signal: null }), b.crashAfterMs);
    const container: RunningContainer = {
      ports,
      exited,
      stop: async () => {
        shut({ code: null, signal: 'SIGTERM' });
        await exited;
      },
    };
    return container;
  };
  return { launcher, launches, running: () => running };
}
