import { lookup } from 'node:dns/promises';
import { ModelshipError } from '../../shared/errors.js';

/** `host:port`, or `dns:///name:port` to spread the channels over every address the name resolves to. */
export interface Target {
  readonly host: string;
  readonly port: number;
  readonly spread: boolean;
  /** host:port, for the :authority header and messages. */
  readonly authority: string;
}

export function parseTarget(text: string): Target | string {
  const spread = text.startsWith('dns:');
  const rest = spread ? text.replace(/^dns:(\/\/[^/]*\/)?/, '') : text;
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:/\s]+):(\d{1,5})$/.exec(rest);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535)
    return `--target: expected host:port or dns:///name:port (for example 127.0.0.1:8500), found '${text}'`;
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port, spread, authority: `${match[1]}:${port}` };
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
