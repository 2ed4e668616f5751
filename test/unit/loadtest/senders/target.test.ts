import { describe, expect, it } from 'vitest';
import { channelAddresses, parseTarget, resolveAddresses, type Target } from '../../../../loadtest/senders/target.js';

describe('--target', () => {
  it.each([
    ['127.0.0.1:8500', { host: '127.0.0.1', port: 8500, spread: false, authority: '127.0.0.1:8500' }],
    ['[::1]:8500', { host: '::1', port: 8500, spread: false, authority: '[::1]:8500' }],
    [
      'tfs.ns.svc.cluster.local:65535',
      { host: 'tfs.ns.svc.cluster.local', port: 65535, spread: false, authority: 'tfs.ns.svc.cluster.local:65535' },
    ],
    ['dns:///tfs-headless:8500', { host: 'tfs-headless', port: 8500, spread: true, authority: 'tfs-headless:8500' }],
    ['dns://10.0.0.10/tfs:8500', { host: 'tfs', port: 8500, spread: true, authority: 'tfs:8500' }],
    ['dns:tfs:8500', { host: 'tfs', port: 8500, spread: true, authority: 'tfs:8500' }],
  ])('parses %s', (text, target) => {
    expect(parseTarget(text)).toEqual(target);
  });

  it.each([
    'tfs',
    '10.0.0.1',
    'tfs:0',
    'tfs:70000',
    'tfs:08500',
    'http://tfs:8500',
    'dns:///tfs',
    '--help',
    '-tfs:8500',
    '[::1',
    '[fe80::1::2]:8500',
    '[tfs]:8500',
    '',
  ])('rejects %j with the forms it accepts', (text) => {
    expect(parseTarget(text)).toBe(
      `--target must be host:port, [ipv6]:port or dns:///host:port with a port 1-65535 (for example 127.0.0.1:8500), got '${text}'`,
    );
  });

  it('connects to a plain target as given, and to every address of a dns:/// one, round-robin', async () => {
    expect(await resolveAddresses(parseTarget('tfs.example:8500') as Target)).toEqual(['tfs.example']);
    const spread = parseTarget('dns:///localhost:8500') as Target;
    const addresses = await resolveAddresses(spread);
    expect(addresses).toContain('127.0.0.1');
    const channels = await channelAddresses(spread, addresses.length * 2);
    expect(channels).toEqual([...addresses, ...addresses]);
  });

  it('fails a dns:/// name that does not resolve with the name and a hint', async () => {
    await expect(resolveAddresses(parseTarget('dns:///no-such-host.invalid:8500') as Target)).rejects.toThrow(
      /target no-such-host\.invalid:8500: the name did not resolve .*headless Service/,
    );
  });
});
