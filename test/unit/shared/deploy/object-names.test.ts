import { describe, expect, it } from 'vitest';
import { ModelshipError } from '../../../../shared/errors.js';
import { loadScenarios, objectNames, roleSelector, selectorText } from '../../../../shared/deploy/index.js';

/** A DNS-1035 label: what a Service name must be (and every name here is one). */
const DNS_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LONGEST = `a${'-b1'.repeat(20)}z`; // 62 characters, a valid scenario name

const allNames = (n: ReturnType<typeof objectNames>) => [n.deployment, n.service, n.headless, n.configMap, n.container];

describe('objectNames', () => {
  it('keeps the serving names a cluster already has, whatever the scenario', () => {
    const serving = {
      deployment: 'tfs-server',
      service: 'tfs-server',
      headless: 'tfs-server-headless',
      configMap: 'tfs-server-batching',
      container: 'tfs-k8s',
    };
    expect(objectNames('serving', '2n-8c-16r-interop4')).toEqual(serving);
    expect(objectNames('serving', LONGEST)).toEqual(serving);
    expect(roleSelector(objectNames('serving', 'x'))).toEqual({ 'app.kubernetes.io/name': 'tfs-server' });
  });

  it('names a candidate and a baseline after the scenario, apart from each other and from serving', () => {
    expect(objectNames('candidate', '4n-4c-8r-interop8')).toEqual({
      deployment: 'tfs-c-4n-4c-8r-interop8',
      service: 'tfs-c-4n-4c-8r-interop8',
      headless: 'tfs-c-4n-4c-8r-interop8-headless',
      configMap: 'tfs-c-4n-4c-8r-interop8-batching',
      container: 'tfs-k8s',
    });
    expect(objectNames('baseline', '4n-4c-8r-interop8').deployment).toBe('tfs-b-4n-4c-8r-interop8');
    expect(selectorText(roleSelector(objectNames('baseline', '4n-4c-8r-interop8')))).toBe(
      'app.kubernetes.io/name=tfs-b-4n-4c-8r-interop8',
    );
  });

  it('gives valid DNS-1035 labels for every seed scenario and role', async () => {
    for (const { name } of await loadScenarios()) {
      for (const role of ['serving', 'candidate', 'baseline'] as const) {
        for (const n of allNames(objectNames(role, name))) expect(n, `${role} ${name}`).toMatch(DNS_1035);
      }
    }
  });

  it('shortens a long scenario name with a hash of all of it, within 63 characters', () => {
    const names = objectNames('candidate', LONGEST);
    expect(names.deployment).toMatch(/^tfs-c-a-b1-b1-[-b1]*-[0-9a-f]{8}$/);
    expect(names.deployment.length).toBeLessThanOrEqual(54);
    expect(names.headless.length).toBeLessThanOrEqual(63);
    for (const n of allNames(names)) expect(n).toMatch(DNS_1035);
    // Two names that share the kept prefix differ by their hash; the same name always gives the same names.
    const sibling = `${LONGEST.slice(0, -1)}y`;
    expect(objectNames('candidate', sibling).deployment).not.toBe(names.deployment);
    expect(objectNames('candidate', LONGEST)).toEqual(names);
    // The longest name that fits is kept whole: 54 characters with the prefix.
    const fits = 'a'.repeat(48);
    expect(objectNames('baseline', fits).deployment).toBe(`tfs-b-${fits}`);
    expect(objectNames('baseline', `${fits}a`).deployment).toMatch(/^tfs-b-a{39}-[0-9a-f]{8}$/);
  });

  it('does not end the kept prefix with a dash', () => {
    const name = `${'a'.repeat(38)}--${'b'.repeat(20)}`;
    expect(objectNames('candidate', name).deployment).toMatch(/^tfs-c-a{38}-[0-9a-f]{8}$/);
  });

  it('refuses a scenario name that is not a DNS label', () => {
    expect(() => objectNames('candidate', 'Big_Scenario')).toThrow(ModelshipError);
    expect(() => objectNames('candidate', 'Big_Scenario')).toThrow(
      /scenario name 'Big_Scenario' cannot name a candidate's objects: expected lower-case letters, digits and dashes/,
    );
  });
});
