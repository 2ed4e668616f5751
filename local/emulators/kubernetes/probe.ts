import { request } from 'node:http';
import { connect } from 'node:net';

/**
 * A container's probes, as the kubelet runs them. One attempt: an HTTP GET succeeds with a status from 200 to 399, a TCP probe when
 * the connection opens; both fail at the timeout. Exec and gRPC probes would run inside the container, which the
 * emulator has not got: they always fail, so a pod that relies on one never becomes ready here.
 */

export interface ProbeSpec {
  httpGet?: { path?: string; port: number | string; scheme?: string };
  tcpSocket?: { port: number | string };
  exec?: unknown;
  grpc?: unknown;
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

export function probeOnce(probe: ProbeSpec, hostPort: (port: number | string) => number | undefined): Promise<boolean> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  const target = probe.httpGet ?? probe.tcpSocket;
  const port = target && hostPort(target.port);
  if (port === undefined) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(false), timeoutMs);
    const cleanups: Array<() => void> = [];
    function done(ok: boolean) {
      clearTimeout(timer);
      cleanups.forEach((c) => c());
      resolve(ok);
    }
    if (probe.httpGet) {
      const req = request({ host: '127.0.0.1', port, path: probe.httpGet.path ?? '/', method: 'GET' }, (res) => {
        res.resume();
        done((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400);
      });
      req.on('error', () => done(false));
      cleanups.push(() => req.destroy());
      req.end();
    } else {
      const socket = connect({ host: '127.0.0.1', port }, () => done(true));
      socket.on('error', () => done(false));
      cleanups.push(() => socket.destroy());
    }
  });
}

export interface ProbedContainer {
  startupProbe?: ProbeSpec;
  readinessProbe?: ProbeSpec;
  livenessProbe?: ProbeSpec;
}

export interface ProbeHooks {
  /** Runs fn after ms, unless the container has been restarted or stopped since. */
  after(ms: number, fn: () => void): void;
  /** False once the container these probes watch is gone. */
  isCurrent(): boolean;
  hostPort(port: number | string): number | undefined;
  /** Kubernetes seconds → milliseconds on this clock. */
  scaled(seconds: number): number;
  started(): void;
  setReady(ready: boolean): void;
  /** Startup or liveness failed: stop the container, which the kubelet then restarts. */
  kill(): void;
}

/**
 * The startup probe until it passes (failureThreshold failures kill the container), then readiness (ready after
 * successThreshold successes, unready after failureThreshold failures) and liveness (failureThreshold failures
 * kill). Without a readiness probe a started container is ready.
 */
export function runProbes(c: ProbedContainer, h: ProbeHooks): void {
  /** Repeats a probe on its period while onResult does not return false; onResult gets the run of equal results. */
  const loop = (probe: ProbeSpec | undefined, onResult: (ok: boolean, streak: number) => boolean | void) => {
    if (!probe) return;
    let streak = 0;
    let last: boolean | undefined;
    const tick = () =>
      void probeOnce(probe, h.hostPort).then((ok) => {
        if (!h.isCurrent()) return;
        streak = ok === last ? streak + 1 : 1;
        last = ok;
        if (onResult(ok, streak) !== false) h.after(h.scaled(probe.periodSeconds ?? 10), tick);
      });
    h.after(h.scaled(probe.initialDelaySeconds ?? 0), tick);
  };
  const failures = (probe: ProbeSpec | undefined) => probe?.failureThreshold ?? 3;
  const afterStartup = () => {
    h.started();
    if (!c.readinessProbe) h.setReady(true);
    loop(c.readinessProbe, (ok, streak) => {
      if (streak >= (ok ? (c.readinessProbe?.successThreshold ?? 1) : failures(c.readinessProbe))) h.setReady(ok);
    });
    loop(c.livenessProbe, (ok, streak) => {
      if (ok || streak < failures(c.livenessProbe)) return;
      h.kill();
      return false;
    });
  };
  if (!c.startupProbe) return afterStartup();
  loop(c.startupProbe, (ok, streak) => {
    if (ok) afterStartup();
    else if (streak >= failures(c.startupProbe)) h.kill();
    else return;
    return false;
  });
}
