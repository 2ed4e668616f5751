import type { ModelState, ModelVersionStatus } from '../../shared/tfserving/index.js';

/** The servable lifecycle TF Serving reports: START -> LOADING -> AVAILABLE -> UNLOADING -> END (END also on failure). */
const NEXT: Record<ModelState, readonly ModelState[]> = {
  UNKNOWN: [],
  START: ['LOADING', 'END'],
  LOADING: ['AVAILABLE', 'END'],
  AVAILABLE: ['UNLOADING'],
  UNLOADING: ['END'],
  END: [],
};

export class StateTransitionError extends Error {
  override readonly name = 'StateTransitionError';
}

/** The versions of one model and their states; every change goes through `set`, which refuses impossible moves. */
export function createModelStates(
  modelName: string,
  onChange: (version: number, state: ModelState) => void = () => {},
) {
  const versions = new Map<number, { state: ModelState; errorCode: string; errorMessage: string }>();

  return {
    set(version: number, state: ModelState, error?: { code: string; message: string }): void {
      const current = versions.get(version)?.state;
      const allowed = current === undefined ? state === 'START' : NEXT[current].includes(state);
      if (!allowed) {
        throw new StateTransitionError(
          `model ${modelName} version ${version}: cannot go from ${current ?? 'untracked'} to ${state}`,
        );
      }
      versions.set(version, { state, errorCode: error?.code ?? 'OK', errorMessage: error?.message ?? '' });
      onChange(version, state);
    },
    state(version: number): ModelState | undefined {
      return versions.get(version)?.state;
    },
    /** The highest AVAILABLE version: what a request without a version is served by. */
    latestAvailable(): number | undefined {
      const available = [...versions].filter(([, v]) => v.state === 'AVAILABLE').map(([n]) => n);
      return available.length ? Math.max(...available) : undefined;
    },
    statuses(version?: number): ModelVersionStatus[] {
      return [...versions]
        .filter(([n]) => version === undefined || n === version)
        .sort(([a], [b]) => a - b)
        .map(([n, v]) => ({
          version: n,
          state: v.state,
          status: { errorCode: v.errorCode, errorMessage: v.errorMessage },
        }));
    },
  };
}

export type ModelStates = ReturnType<typeof createModelStates>;
