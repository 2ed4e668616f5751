import type { CloudBuildClient } from '@google-cloud/cloudbuild';
import type { BuildRequest } from '../bake/build-request.js';
import { parseBuild, type BuildView } from '../bake/build-view.js';
import { ModelshipError, TransientError } from '../errors.js';
import type { Logger } from '../log.js';

/**
 * Cloud Build, as the pipeline uses it: submit a build without waiting for it, read one, find those of a run.
 * The real CloudBuildClient sits behind it in Google Cloud and in the local stack (against the emulator); tests of the
 * functions use a fake. Both pass test/support/cloud-build-contract.ts.
 */
export interface CloudBuild {
  /** Submits a build; resolves as soon as Cloud Build has accepted it (its id and log URL are known). */
  submit(build: BuildRequest): Promise<BuildView>;
  get(id: string): Promise<BuildView | undefined>;
  /** The builds carrying a tag. */
  findByTag(tag: string): Promise<BuildView[]>;
}

/** Cloud Build refused the build itself (a bad request, no permission): retrying the same request cannot help. */
export class BuildRejectedError extends ModelshipError {
  override readonly name = 'BuildRejectedError';
}

type Client = Pick<CloudBuildClient, 'createBuild' | 'getBuild' | 'listBuilds'>;

/** gRPC codes after which the same request will fail again. */
const PERMANENT = new Set([3, 5, 7, 9, 11, 12, 16]);
const NOT_FOUND = 5;

const codeOf = (err: unknown) => (err as { code?: unknown }).code;

function classify(err: unknown, what: string): Error {
  const message = `Cloud Build: ${what} failed: ${(err as Error).message}`;
  if (PERMANENT.has(codeOf(err) as number)) {
    return new BuildRejectedError(message, {
      cause: err,
      hint: 'check the build request and that the function’s service account may create builds (roles/cloudbuild.builds.editor)',
    });
  }
  return new TransientError(message, { cause: err });
}

export function createCloudBuild({
  client,
  project,
  log,
}: {
  client: Client;
  project: string;
  log: Logger;
}): CloudBuild {
  return {
    async submit(build) {
      let operation: { metadata?: unknown; name?: string | null };
      try {
        [operation] = await client.createBuild({ projectId: project, build });
      } catch (err) {
        throw classify(err, `creating a build in project ${project}`);
      }
      const view = parseBuild((operation.metadata as { build?: unknown } | null)?.build, `operation ${operation.name}`);
      log.debug('build created', { buildId: view.id, operation: operation.name });
      return view;
    },

    async get(id) {
      try {
        const [build] = await client.getBuild({ projectId: project, id });
        return parseBuild(build, `build ${id}`);
      } catch (err) {
        if (codeOf(err) === NOT_FOUND) return undefined;
        throw classify(err, `reading build ${id}`);
      }
    },

    async findByTag(tag) {
      try {
        const [builds] = await client.listBuilds(
          { projectId: project, filter: `tags="${tag}"` },
          { autoPaginate: true },
        );
        return builds.map((b, i) => parseBuild(b, `build ${i} of the list`));
      } catch (err) {
        throw classify(err, `listing builds tagged ${tag}`);
      }
    },
  };
}
