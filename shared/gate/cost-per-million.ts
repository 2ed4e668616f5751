import { MACHINE_PRICES, nodeHourPrice, type FamilyPrice, type MachineNode } from './prices.js';

/** What a scenario pays for: its replicas, each on a dedicated node of its pool (the deploy's one pod per node). */
export interface PricedScenario {
  replicas: number;
  node: MachineNode;
}

/**
 * USD per million predictions at `rps` requests per second: the scenario's nodes for the hour, over the requests
 * served in that hour (rps × 3600), times a million. Null when the machine family has no price (see prices.ts) or
 * nothing was served.
 */
export function costPerMillion(
  rps: number,
  scenario: PricedScenario,
  prices: Readonly<Record<string, FamilyPrice>> = MACHINE_PRICES,
): number | null {
  const node = nodeHourPrice(scenario.node, prices);
  if (node === undefined || !(rps > 0)) return null;
  return ((scenario.replicas * node) / (rps * 3600)) * 1e6;
}
