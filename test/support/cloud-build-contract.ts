import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildRequest } from '../../shared/bake/build-request.js';
import { BuildRejectedError, type CloudBuild } from '../../shared/gcp/cloud-build.js';

export interface ContractSubject {
  cloudBuild: CloudBuild;
  close(): Promise<void>;
}

/** A build every implementation can accept and run: one Docker step (the emulator skips it, saying so). */
export const trivialBuild = (tags: string[]): BuildRequest => ({
  steps: [{ id: 'hello', name: 'gcr.io/cloud-builders/docker', entrypoint: 'bash', args: ['-c', 'echo hello'] }],
  tags,
  timeout: { seconds: 60 },
});

/** What the pipeline relies on from Cloud Build; run against the emulator (through the real client) and the fake. */
export function cloudBuildContract(name: string, make: () => Promise<ContractSubject>): void {
  describe(`CloudBuild contract: ${name}`, () => {
    let subject: ContractSubject;
    beforeAll(async () => {
      subject = await make();
    });
    afterAll(async () => {
      await subject?.close();
    });

    it('accepts a build at once, with its id, tags, status and log URL', async () => {
      const tag = `t-${randomBytes(4).toString('hex')}`;
      const build = await subject.cloudBuild.submit(trivialBuild(['modelship', tag]));
      expect(build.id).toMatch(/\S/);
      expect(build.tags).toEqual(['modelship', tag]);
      expect(['QUEUED', 'WORKING', 'SUCCESS']).toContain(build.status);
      expect(build.logUrl).toMatch(/^https?:\/\//);
      expect((await subject.cloudBuild.get(build.id))?.tags).toEqual(['modelship', tag]);
    });

    it('finds builds by tag, and only those', async () => {
      const tag = `t-${randomBytes(4).toString('hex')}`;
      const [a, b] = [
        await subject.cloudBuild.submit(trivialBuild([tag])),
        await subject.cloudBuild.submit(trivialBuild([tag, 'other'])),
      ];
      await subject.cloudBuild.submit(trivialBuild(['unrelated']));
      const found = await subject.cloudBuild.findByTag(tag);
      expect(found.map((x) => x.id).sort()).toEqual([a.id, b.id].sort());
      expect(await subject.cloudBuild.findByTag(`never-${randomBytes(4).toString('hex')}`)).toEqual([]);
    });

    it('answers undefined for a build it does not have', async () => {
      expect(await subject.cloudBuild.get('00000000-0000-0000-0000-000000000000')).toBeUndefined();
    });

    it('refuses a build without steps as rejected (not worth retrying)', async () => {
      await expect(subject.cloudBuild.submit({ steps: [], tags: ['x'] })).rejects.toBeInstanceOf(BuildRejectedError);
    });
  });
}
