import { describe, expect, it } from 'vitest';
import { asTable, humanDuration, wantsTable } from '../../../../../local/emulators/kubernetes/table.js';

/** Server-side printing as kube-apiserver answers `kubectl get`. */

const NOW = Date.parse('2026-12-07T12:00:00Z');
const created = (secondsAgo: number) => new Date(NOW - secondsAgo * 1000).toISOString();

describe('humanDuration', () => {
  it.each([
    [-5_000, '<invalid>'],
    [-500, '0s'],
    [59_000, '59s'],
    [119_000, '119s'],
    [120_000, '2m'],
    [125_000, '2m5s'],
    [600_000, '10m'],
    [179 * 60_000, '179m'],
    [3 * 3600_000 + 5 * 60_000, '3h5m'],
    [8 * 3600_000, '8h'],
    [50 * 3600_000, '2d2h'],
    [9 * 86400_000, '9d'],
    [800 * 86400_000, '2y70d'],
    [9 * 365 * 86400_000, '9y'],
  ])('%d ms is %s, as kubectl shows ages', (ms, shown) => {
    expect(humanDuration(ms)).toBe(shown);
  });
});

describe('asTable', () => {
  it('prints a Service as kube does: type, cluster IP, the balancer address or <pending>, ports', () => {
    const service = (status: object) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'tfs-server', creationTimestamp: created(30) },
      spec: {
        type: 'LoadBalancer',
        clusterIP: '10.0.0.7',
        selector: { app: 'tfs' },
        ports: [
          { port: 8500, nodePort: 31500, protocol: 'TCP' },
          { port: 8501, protocol: 'TCP' },
        ],
      },
      status,
    });
    const table = asTable('Service', [service({}), service({ loadBalancer: { ingress: [{ ip: '127.0.0.1' }] } })], {
      includeObject: null,
      now: NOW,
    }) as {
      columnDefinitions: Array<{ name: string; priority: number }>;
      rows: Array<{ cells: unknown[]; object: unknown }>;
    };
    expect(table.columnDefinitions.map((c) => `${c.name}${c.priority ? '*' : ''}`)).toEqual([
      'Name',
      'Type',
      'Cluster-IP',
      'External-IP',
      'Port(s)',
      'Age',
      'Selector*',
    ]);
    expect(table.rows.map((r) => r.cells)).toEqual([
      ['tfs-server', 'LoadBalancer', '10.0.0.7', '<pending>', '8500:31500/TCP,8501/TCP', '30s', 'app=tfs'],
      ['tfs-server', 'LoadBalancer', '10.0.0.7', '127.0.0.1', '8500:31500/TCP,8501/TCP', '30s', 'app=tfs'],
    ]);
    expect(table.rows[0]?.object).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { name: 'tfs-server' } });
  });

  it("prints a pod's waiting reason over its phase, and its restarts with the last one's age", () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'tfs-server-abc', creationTimestamp: created(600) },
      spec: { containers: [{ name: 'tfs' }] },
      status: {
        phase: 'Running',
        containerStatuses: [
          {
            ready: false,
            restartCount: 3,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: { terminated: { exitCode: 1, finishedAt: created(40) } },
          },
        ],
      },
    };
    const table = asTable('Pod', [pod], { includeObject: 'None', now: NOW }) as { rows: Array<{ cells: unknown[] }> };
    expect(table.rows).toEqual([
      {
        cells: ['tfs-server-abc', '0/1', 'CrashLoopBackOff', '3 (40s ago)', '10m', '<none>', '<none>'],
      },
    ]);
  });

  it('is what kubectl asks for first; a client asking for JSON gets JSON', () => {
    expect(
      wantsTable(
        'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
      ),
    ).toBe(true);
    expect(wantsTable('application/json')).toBe(false);
    expect(wantsTable(undefined)).toBe(false);
  });
});
