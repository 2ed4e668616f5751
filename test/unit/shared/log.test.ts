import { describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../support/memory-logger.js';
import { redact, traceFromTraceparent } from '../../../shared/log.js';

describe('log', () => {
  it('writes Cloud Logging entries with severity, message and labels', () => {
    const log = createMemoryLogger({ component: 'test' });
    log.child({ runId: 'run-1', scenario: 's1' }, 'projects/p/traces/abc').warn('slow', { ms: 12 });
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatchObject({
      severity: 'WARNING',
      message: 'slow',
      ms: 12,
      'logging.googleapis.com/labels': { component: 'test', runId: 'run-1', scenario: 's1' },
      'logging.googleapis.com/trace': 'projects/p/traces/abc',
    });
  });

  it('never writes secrets and cuts what would be a payload', () => {
    const out = redact({
      token: 'ghp_abc',
      nested: { webhookSecret: 's', Authorization: 'Bearer x', ok: 1 },
      long: 'y'.repeat(2000),
      deep: { a: { b: { c: { d: 1 } } } },
    }) as Record<string, unknown>;
    expect(out.token).toBe('[redacted]');
    expect(out.nested).toEqual({ webhookSecret: '[redacted]', Authorization: '[redacted]', ok: 1 });
    expect(String(out.long).length).toBeLessThan(600);
    expect(JSON.stringify(out.deep)).toBe('{"a":{"b":"[object]"}}');
  });

  it('turns a W3C traceparent into a Cloud Trace name', () => {
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect(traceFromTraceparent(tp, 'p')).toBe('projects/p/traces/4bf92f3577b34da6a3ce929d0e0e4736');
    expect(traceFromTraceparent('garbage', 'p')).toBeUndefined();
    expect(traceFromTraceparent(tp, undefined)).toBeUndefined();
  });
});
