/**
 * What an N-vCPU GKE node really offers a scenario's pod. A node's capacity is not its allocatable: GKE Standard
 * reserves CPU and memory for the kubelet, the container runtime and the OS by a fixed table (GKE's "Plan node
 * sizes" page, memory and CPU reservations), the kubelet keeps 100 MiB for eviction, and GKE's own DaemonSets
 * (kube-proxy, fluentbit, gke-metrics-agent, pdcsi-node, …) request a share of what is left on every node.
 *
 * The rule: pod CPU = allocatable CPU − SYSTEM_PODS.cpu, rounded down to 100m;
 *           pod memory = allocatable memory − SYSTEM_PODS.memory, rounded down to 128 MiB.
 */

export interface NodeShape {
  vcpus: number;
  memoryGiB: number;
}

export interface PodResources {
  cpuMillis: number;
  memoryMiB: number;
}

/** Headroom for GKE's DaemonSets on a dedicated node pool; check with `kubectl describe node` on a fresh node. */
export const SYSTEM_PODS: PodResources = { cpuMillis: 400, memoryMiB: 512 };

const EVICTION_THRESHOLD_MIB = 100;

/** [width of the tier, share reserved]; the last tier is open-ended. */
const CPU_TIERS: ReadonlyArray<readonly [number, number]> = [
  [1, 0.06],
  [1, 0.01],
  [2, 0.005],
  [Infinity, 0.0025],
];
const MEMORY_TIERS_GIB: ReadonlyArray<readonly [number, number]> = [
  [4, 0.25],
  [4, 0.2],
  [8, 0.1],
  [112, 0.06],
  [Infinity, 0.02],
];

function tiered(amount: number, tiers: ReadonlyArray<readonly [number, number]>): number {
  let reserved = 0;
  let rest = amount;
  for (const [width, share] of tiers) {
    const part = Math.min(rest, width);
    reserved += part * share;
    rest -= part;
  }
  return reserved;
}

/** GKE Standard's allocatable resources of a node of this shape. */
export function gkeAllocatable(node: NodeShape): PodResources {
  const reservedCpu = Math.round(tiered(node.vcpus, CPU_TIERS) * 1000);
  const memoryMiB = node.memoryGiB * 1024;
  const reservedMemory = node.memoryGiB < 1 ? 255 : tiered(node.memoryGiB, MEMORY_TIERS_GIB) * 1024;
  return {
    cpuMillis: node.vcpus * 1000 - reservedCpu,
    memoryMiB: Math.floor(memoryMiB - reservedMemory - EVICTION_THRESHOLD_MIB),
  };
}

/** The most a single pod on a dedicated node of this shape can request: the rule above. */
export function podCapacity(node: NodeShape): PodResources {
  const allocatable = gkeAllocatable(node);
  return {
    cpuMillis: Math.floor((allocatable.cpuMillis - SYSTEM_PODS.cpuMillis) / 100) * 100,
    memoryMiB: Math.floor((allocatable.memoryMiB - SYSTEM_PODS.memoryMiB) / 128) * 128,
  };
}

/** GiB of memory per vCPU of the predefined machine types this project's node pools use. */
const PREDEFINED: Record<string, Partial<Record<'standard' | 'highmem' | 'highcpu', number>>> = {
  e2: { standard: 4, highmem: 8, highcpu: 1 },
  n2: { standard: 4, highmem: 8, highcpu: 1 },
  n2d: { standard: 4, highmem: 8, highcpu: 1 },
  n4: { standard: 4, highmem: 8, highcpu: 2 },
  c3: { standard: 4, highmem: 8, highcpu: 2 },
  c2: { standard: 4 },
  n1: { standard: 3.75, highmem: 6.5, highcpu: 0.9 },
};

/**
 * The shape of a Compute Engine machine type: custom types (`n2-custom-8-16384`, memory in MB = MiB) and the
 * predefined families above. Undefined for anything else; the scenario must then say vcpus and memoryGiB.
 */
export function machineShape(machineType: string): NodeShape | undefined {
  const custom = /^(?:[a-z][a-z0-9]*-)?custom-(\d+)-(\d+)(?:-ext)?$/.exec(machineType);
  if (custom) return { vcpus: Number(custom[1]), memoryGiB: Number(custom[2]) / 1024 };
  const predefined = /^([a-z][a-z0-9]*)-(standard|highmem|highcpu)-(\d+)$/.exec(machineType);
  if (!predefined) return undefined;
  const [, family = '', kind, vcpus] = predefined;
  const perVcpu = PREDEFINED[family]?.[kind as 'standard' | 'highmem' | 'highcpu'];
  return perVcpu === undefined ? undefined : { vcpus: Number(vcpus), memoryGiB: Number(vcpus) * perVcpu };
}
