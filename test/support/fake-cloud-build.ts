import { randomUUID } from 'node:crypto';
import type { BuildRequest } from '../../shared/bake/build-request.js';
import { parseBuild, type BuildStatus, type BuildView } from '../../shared/bake/build-view.js';
import { BuildRejectedError, type CloudBuild } from '../../shared/gcp/cloud-build.js';

/**
 * Cloud Build in memory, for the functions' tests: it records what was submitted and lets a test decide how each
 * build ends, producing the notification Cloud Build would publish. It passes the same contract suite as the real
 * client against the emulator (cloud-build-contract.ts).
 */
export class FakeCloudBuild implements CloudBuild {
  readonly submitted: Array<{ id: string; request: BuildRequest }> = [];
  private readonly builds = new Map<string, Record<string, unknown>>();
  /** The next submit throws this (then the fake works again). */
  failNext: Error | undefined;

  async submit(request: BuildRequest): Promise<BuildView> {
    const error = this.failNext;
    this.failNext = undefined;
    if (error) throw error;
    if (!request.steps?.length)
      throw new BuildRejectedError('Cloud Build: invalid build: a build must have at least one step');
    const id = randomUUID();
    this.submitted.push({ id, request });
    const steps = request.steps.map((s) => ({ id: s.id, name: s.name, status: 'QUEUED' }));
    this.builds.set(id, {
      id,
      status: 'QUEUED',
      tags: request.tags ?? [],
      logUrl: `https://fake.cloudbuild/${id}`,
      steps,
    });
    return parseBuild(this.builds.get(id), id);
  }

  async get(id: string): Promise<BuildView | undefined> {
    const build = this.builds.get(id);
    return build && parseBuild(build, id);
  }

  async findByTag(tag: string): Promise<BuildView[]> {
    return [...this.builds.values()]
      .filter((b) => (b.tags as string[]).includes(tag))
      .map((b) => parseBuild(b, String(b.id)));
  }

  /**
   * Ends a build and returns its notification body, as Cloud Build publishes it on `cloud-builds` (proto3 JSON).
   * `outputs` are the steps' $BUILDER_OUTPUT/output; `failedStep` names the step that failed.
   */
  finish(
    id: string,
    status: BuildStatus,
    o: { outputs?: Record<string, string>; failedStep?: string } = {},
  ): Record<string, unknown> {
    const build = this.builds.get(id);
    if (!build) throw new Error(`no build ${id}`);
    const steps = build.steps as Array<{ id: string; name: string; status: string }>;
    const failedAt = steps.findIndex((s) => s.id === o.failedStep);
    steps.forEach(
      (s, i) => (s.status = failedAt === -1 || i < failedAt ? 'SUCCESS' : i === failedAt ? status : 'QUEUED'),
    );
    const failed = steps[failedAt];
    Object.assign(build, {
      status,
      results: { buildStepOutputs: steps.map((s) => Buffer.from(o.outputs?.[s.id] ?? '').toString('base64')) },
      ...(failed
        ? {
            failureInfo: {
              type: 'USER_BUILD_STEP',
              detail: `Build step failure: build step ${failedAt} "${failed.name}" failed: step exited with non-zero status: 1`,
            },
          }
        : {}),
    });
    return structuredClone(build);
  }
}
