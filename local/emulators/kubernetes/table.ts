import type { KubeObject } from './object-store.js';

/**
 * Server-side printing, as kube-apiserver does it for `kubectl get`: asked for `application/json;as=Table;v=v1;
 * g=meta.k8s.io`, a list or an object comes back as a meta.k8s.io/v1 Table whose columns are those of kube's own
 * printers (pkg/printers/internalversion/printers.go) for the kinds the emulator serves: kubectl prints the cells as
 * they are. Columns of priority 1 are what `-o wide` adds.
 */

export const TABLE_CONTENT_TYPE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

/** Whether a request's Accept header asks for a Table first (kubectl lists it before plain JSON). */
export const wantsTable = (accept: string | undefined): boolean =>
  (accept ?? '').split(',')[0]?.replace(/\s/g, '').startsWith('application/json;as=Table;v=v1;g=meta.k8s.io') === true;

interface Column {
  name: string;
  type: 'string' | 'integer';
  priority?: 1;
  cell(o: Obj, now: number): string | number;
}

/** An object as stored: the printers read its fields as kube's do, defaulting what is absent. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = KubeObject & { spec?: any; status?: any; data?: object; binaryData?: object };

/** k8s.io/apimachinery's duration.HumanDuration: how kubectl shows an age. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`;
  return `${years}y`;
}

const since = (timestamp: string | undefined, now: number): string =>
  timestamp ? humanDuration(now - Date.parse(timestamp)) : '<unknown>';

const name: Column = { name: 'Name', type: 'string', cell: (o) => o.metadata.name };
const age: Column = { name: 'Age', type: 'string', cell: (o, now) => since(o.metadata.creationTimestamp, now) };
const selector = (labels: Record<string, string> | undefined): string =>
  Object.entries(labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',') || '<none>';

/** printPod: the first container reason that is not "running and fine" wins over the phase. */
function podStatus(o: Obj): string {
  if (o.metadata.deletionTimestamp) return 'Terminating';
  let reason: string = o.status?.reason ?? o.status?.phase ?? 'Unknown';
  const statuses = (o.status?.containerStatuses ?? []) as Array<{
    state?: { waiting?: { reason?: string }; terminated?: { reason?: string; signal?: number; exitCode?: number } };
  }>;
  for (const c of statuses) {
    if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
    else if (c.state?.terminated) {
      const t = c.state.terminated;
      reason = t.reason ?? (t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode}`);
    }
  }
  return reason;
}

function podRestarts(o: Obj, now: number): string {
  const statuses = (o.status?.containerStatuses ?? []) as Array<{
    restartCount?: number;
    lastState?: { terminated?: { finishedAt?: string } };
  }>;
  const count = statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0);
  const last = statuses
    .map((c) => c.lastState?.terminated?.finishedAt)
    .filter((t): t is string => Boolean(t))
    .sort()
    .at(-1);
  return count > 0 && last ? `${count} (${since(last, now)} ago)` : String(count);
}

function servicePorts(o: Obj): string {
  const ports = (o.spec?.ports ?? []) as Array<{ port: number; nodePort?: number; protocol?: string }>;
  return (
    ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',') || '<none>'
  );
}

function externalIp(o: Obj): string {
  if (o.spec?.type !== 'LoadBalancer') return o.spec?.externalIPs?.join(',') || '<none>';
  const ingress = (o.status?.loadBalancer?.ingress ?? []) as Array<{ ip?: string; hostname?: string }>;
  return ingress.map((i) => i.ip ?? i.hostname).join(',') || '<pending>';
}

const containers = (o: Obj): Array<{ name: string; image: string }> => o.spec?.template?.spec?.containers ?? [];

const COLUMNS: Record<string, Column[]> = {
  Deployment: [
    name,
    {
      name: 'Ready',
      type: 'string',
      cell: (o) => `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 1}`,
    },
    { name: 'Up-to-date', type: 'integer', cell: (o) => o.status?.updatedReplicas ?? 0 },
    { name: 'Available', type: 'integer', cell: (o) => o.status?.availableReplicas ?? 0 },
    age,
    {
      name: 'Containers',
      type: 'string',
      priority: 1,
      cell: (o) =>
        containers(o)
          .map((c) => c.name)
          .join(','),
    },
    {
      name: 'Images',
      type: 'string',
      priority: 1,
      cell: (o) =>
        containers(o)
          .map((c) => c.image)
          .join(','),
    },
    { name: 'Selector', type: 'string', priority: 1, cell: (o) => selector(o.spec?.selector?.matchLabels) },
  ],
  Pod: [
    name,
    {
      name: 'Ready',
      type: 'string',
      cell: (o) => {
        const statuses = (o.status?.containerStatuses ?? []) as Array<{ ready?: boolean }>;
        const total = (o.spec?.containers ?? []).length || statuses.length;
        return `${statuses.filter((c) => c.ready).length}/${total}`;
      },
    },
    { name: 'Status', type: 'string', cell: podStatus },
    { name: 'Restarts', type: 'string', cell: podRestarts },
    age,
    { name: 'IP', type: 'string', priority: 1, cell: (o) => o.status?.podIP ?? '<none>' },
    { name: 'Node', type: 'string', priority: 1, cell: (o) => o.spec?.nodeName ?? '<none>' },
  ],
  Service: [
    name,
    { name: 'Type', type: 'string', cell: (o) => o.spec?.type ?? 'ClusterIP' },
    { name: 'Cluster-IP', type: 'string', cell: (o) => o.spec?.clusterIP ?? '<none>' },
    { name: 'External-IP', type: 'string', cell: externalIp },
    { name: 'Port(s)', type: 'string', cell: servicePorts },
    age,
    { name: 'Selector', type: 'string', priority: 1, cell: (o) => selector(o.spec?.selector) },
  ],
  ConfigMap: [
    name,
    {
      name: 'Data',
      type: 'integer',
      cell: (o) => Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length,
    },
    age,
  ],
};

/** What each row carries of its object: `includeObject=None|Metadata|Object`, Metadata by default. */
function rowObject(o: Obj, include: string | null): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return o;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

export function asTable(
  kind: string,
  objects: readonly KubeObject[],
  o: { resourceVersion?: string; includeObject: string | null; now?: number },
): Record<string, unknown> {
  const columns = COLUMNS[kind] ?? [name, age];
  const now = o.now ?? Date.now();
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: o.resourceVersion ? { resourceVersion: o.resourceVersion } : {},
    columnDefinitions: columns.map((c) => ({
      name: c.name,
      type: c.type,
      format: c === name ? 'name' : '',
      description: '',
      priority: c.priority ?? 0,
    })),
    rows: objects.map((obj) => {
      const object = rowObject(obj as Obj, o.includeObject);
      return { cells: columns.map((c) => c.cell(obj as Obj, now)), ...(object ? { object } : {}) };
    }),
  };
}
