import { describe, expect, it } from 'vitest';
import { dockerTag } from '../../../../shared/bake/bake-params.js';
import { failureReason, imageOf, isFinal, parseBuild, runIdOf } from '../../../../shared/bake/build-view.js';
import { MessageError } from '../../../../shared/errors.js';

const IMAGE = `europe-docker.pkg.dev/p/r/serving@sha256:${'c'.repeat(64)}`;
const steps = [
  { id: 'fetch', name: 'm', status: 'SUCCESS' },
  { id: 'extract', name: 'm', status: 'FAILURE' },
];

describe('parseBuild', () => {
  it('reads a cloud-builds notification: enums by name, step outputs in base64', () => {
    const build = parseBuild(
      {
        id: 'b1',
        status: 'SUCCESS',
        tags: ['modelship', 'run-20261125-180000-abcdef'],
        logUrl: 'https://console.cloud.google.com/cloud-build/builds/b1?project=1',
        results: { buildStepOutputs: ['', '', '', Buffer.from(IMAGE).toString('base64')] },
        createTime: '2026-11-25T18:00:00Z',
      },
      'notification',
    );
    expect(build).toMatchObject({ id: 'b1', status: 'SUCCESS', stepOutputs: ['', '', '', IMAGE] });
    expect(imageOf(build)).toBe(IMAGE);
    expect(runIdOf(build)).toBe('20261125-180000-abcdef');
  });

  it('reads a gRPC answer (outputs as bytes) and an operation’s metadata (status as a number)', () => {
    expect(
      parseBuild({ id: 'b2', status: 'WORKING', results: { buildStepOutputs: [Buffer.from(IMAGE)] } }, 'g'),
    ).toMatchObject({
      status: 'WORKING',
      stepOutputs: [IMAGE],
    });
    expect(parseBuild({ id: 'b3', status: 4, steps }, 'op').status).toBe('FAILURE');
    expect(parseBuild({ id: 'b4', status: 'SOMETHING_NEW' }, 'n').status).toBe('STATUS_UNKNOWN');
  });

  it('refuses what is not a Build', () => {
    expect(() => parseBuild({ status: 'SUCCESS' }, 'notification')).toThrow(MessageError);
  });

  it('knows the final states', () => {
    expect(
      ['SUCCESS', 'FAILURE', 'INTERNAL_ERROR', 'TIMEOUT', 'CANCELLED', 'EXPIRED'].every((s) => isFinal(s as never)),
    ).toBe(true);
    expect(['QUEUED', 'WORKING', 'PENDING', 'STATUS_UNKNOWN'].some((s) => isFinal(s as never))).toBe(false);
  });

  it('says why a build failed: where, what that step does, and Cloud Build’s detail', () => {
    const detail = 'Build step failure: build step 1 "m" failed: step exited with non-zero status: 1';
    expect(failureReason(parseBuild({ id: 'b5', status: 'FAILURE', steps, failureInfo: { detail } }, 'n'))).toBe(
      `build b5 failed in step extract (the release tarball is unsafe, corrupt, not a tarball, or over the caps): ${detail}`,
    );
    expect(failureReason(parseBuild({ id: 'b6', status: 'TIMEOUT', statusDetail: 'Build timed out' }, 'n'))).toBe(
      'build b6 timed out: Build timed out',
    );
  });

  it('says why a build failed in the failed step’s own words when it wrote them to $BUILDER_OUTPUT/output', () => {
    const own = 'the release holds no saved_model.pb (its top level: README.txt, sub)';
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    const outputs = steps.map((_, i) => b64(i === 1 ? `${own}\n` : ''));
    const failed = { id: 'b8', status: 'FAILURE', steps, results: { buildStepOutputs: outputs } };
    expect(failureReason(parseBuild(failed, 'n'))).toBe(`build b8 failed in step extract: ${own}`);
    const long = { ...failed, results: { buildStepOutputs: ['', b64('x'.repeat(5000))] } };
    expect(failureReason(parseBuild(long, 'n'))).toHaveLength('build b8 failed in step extract: '.length + 1000);
  });

  it('finds no image when no step recorded one by digest', () => {
    expect(imageOf(parseBuild({ id: 'b7', results: { buildStepOutputs: ['r/x:latest'] } }, 'n'))).toBeUndefined();
  });
});

describe('dockerTag', () => {
  it.each([
    ['v1.0.0', 'v1.0.0'],
    ['release/2026.1+b7', 'release-2026.1-b7'],
    ['.hidden', 'hidden'],
    ['ünïcode', 'n-code'],
    ['---', 'release-9'],
  ])('%s → %s', (tag, expected) => {
    expect(dockerTag(tag, 9)).toBe(expected);
  });
});
