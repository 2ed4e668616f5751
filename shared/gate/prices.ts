/**
 * On-demand Compute Engine prices in us-central1 (Iowa), USD per hour: per vCPU and per GiB of memory, by machine
 * family, as Google bills them (resource-based: a machine costs vCPUs × the vCPU rate + GiB × the memory rate). No
 * sustained-use or committed-use discount, no Spot, no boot disk, no GKE cluster fee ($0.10 an hour per cluster,
 * the same whatever the scenario): the figure compares scenarios, it is not an invoice.
 *
 * Source: https://cloud.google.com/compute/vm-instance-pricing (and the Cloud Billing Catalog SKUs "N2 Instance
 * Core running in Americas", …). That page renders its tables with JavaScript and could not be read here; the
 * rates marked `verified` were checked on 2026-12-06 against Cloud Billing Catalog figures quoted in several
 * public repositories and documents (N2 0.031611/0.004237, N2D 0.027502/0.003686, E2 0.02181159/0.00292353, each
 * reproducing Google's published machine prices, e.g. e2-standard-2 $0.0670/h, n2-standard-4 $0.1942/h; N2 custom
 * 0.033174/0.004446 in one). The others are the list rates as last known, NOT verified: check them on the page above
 * (or `gcloud billing skus list`) before trusting a cost comparison across those families.
 */
export interface FamilyPrice {
  vcpuHour: number;
  gibHour: number;
  verified: boolean;
}

export const PRICE_REGION = 'us-central1';
export const PRICES_TAKEN = '2026-12-06';
export const PRICE_SOURCE = 'https://cloud.google.com/compute/vm-instance-pricing';

/** Keyed by family, or `FAMILY-custom` for custom machine types (which cost about 5% more). */
export const MACHINE_PRICES: Readonly<Record<string, FamilyPrice>> = {
  n2: { vcpuHour: 0.031611, gibHour: 0.004237, verified: true },
  'n2-custom': { vcpuHour: 0.033174, gibHour: 0.004446, verified: true },
  n2d: { vcpuHour: 0.027502, gibHour: 0.003686, verified: true },
  e2: { vcpuHour: 0.02181159, gibHour: 0.00292353, verified: true },
  'e2-custom': { vcpuHour: 0.02289, gibHour: 0.003067, verified: false },
  n1: { vcpuHour: 0.031611, gibHour: 0.004237, verified: false },
  'n1-custom': { vcpuHour: 0.033174, gibHour: 0.004446, verified: false },
  c2: { vcpuHour: 0.03398, gibHour: 0.00455, verified: false },
  c3: { vcpuHour: 0.03465, gibHour: 0.003938, verified: false },
};

/** `n2-standard-8` → n2, `n2-custom-8-16384` → n2-custom, `custom-4-8192` (N1's custom types) → n1-custom. */
export function priceKey(machineType: string): string {
  const custom = /^(?:([a-z][a-z0-9]*)-)?custom-\d+-\d+(?:-ext)?$/.exec(machineType);
  if (custom) return `${custom[1] ?? 'n1'}-custom`;
  return machineType.split('-')[0] ?? machineType;
}

export interface MachineNode {
  machineType: string;
  vcpus: number;
  memoryGiB: number;
}

/** USD per hour of one node of this shape; undefined when its family is not in the table. */
export function nodeHourPrice(
  node: MachineNode,
  prices: Readonly<Record<string, FamilyPrice>> = MACHINE_PRICES,
): number | undefined {
  const price = prices[priceKey(node.machineType)];
  return price && node.vcpus * price.vcpuHour + node.memoryGiB * price.gibHour;
}
