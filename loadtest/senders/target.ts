import { lookup } from 'node:dns/promises';
import { isIPv6 } from 'node:net';
import { ModelshipError } from '../../shared/errors.js';

/** `host:port`, or `dns:///name:port` to spread the channels over every address the name resolves to. */
export interface Target {
  readonly host: string;
  readonly port: number;
  readonly spread: boolean;
  /** host:port, for the :authority header and messages. */
  readonly authority: string;
}

/** Why `text` is not a target. */
export const notATarget = (text: string): string =>
  `--target must be host:port, [ipv6]:port or dns:///host:port with a port 1-65535 (for example 127.0.0.1:8500), got '${text}'`;

/** A host name or IPv4 address (never one that starts with '-', which is an option), or an IPv6 address in []. */
const TARGET = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9_][A-Za-z0-9_.-]*)):([1-9]\d{0,4})$/;

export function parseTarget(text: string): Target | string {
  const spread = text.startsWith('dns:');
  const rest = spread ? text.replace(/^dns:(\/\/[^/]*\/)?/, '') : text;
  const match = TARGET.exec(rest);
  const port = Number(match?.[3]);
  const [, ipv6, name] = match ?? [];
  if (!match || port > 65535 || (ipv6 !== undefined && !isIPv6(ipv6))) return notATarget(text);
  return { host: ipv6 ?? name!, port, spread, authority: `${ipv6 !== undefined ? `[${ipv6}]` : name}:${port}` };
}

/** The addresses to connect to: all of them for a dns:/// target, else the host itself. */
export async function resolveAddresses(target: Target): Promise<string[]> {
  if (!target.spread) return [target.host];
  try {
    const found = await lookup(target.host, { all: true });
    return found.map((a) => a.address);
  } catch (err) {
    throw new ModelshipError(`target ${target.authority}: the name did not resolve (${(err as Error).message})`, {
      cause: err,
      hint: 'check the DNS name; in GKE a headless Service gives one address per pod',
    });
  }
}

/** The address of each of `channels` connections: round-robin over the target's addresses. */
export async function channelAddresses(target: Target, channels: number): Promise<string[]> {
  const addresses = await resolveAddresses(target);
  return Array.from({ length: channels }, (_, i) => addresses[i % addresses.length]!);
}
