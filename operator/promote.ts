import { armOf } from '../shared/arm.js';
import { ModelshipError } from '../shared/errors.js';
import type { Publish } from '../shared/gcp/publisher.js';
import type { PromoteRequested } from '../shared/messages.js';
import type { Store } from '../shared/store.js';

/**
 * `modelship promote RUN_ID [--scenario S]`: a person serves a measured candidate of a run that has ended (with
 * PROMOTION=manual, or to override the gate's choice). Checked here before anything is sent: the run has ended and
 * the candidate was measured; without --scenario, the one candidate that passed the gate. The deployer checks again.
 */
export async function promote(
  request: { runId: string; scenario?: string },
  deps: { store: Store; publish: Publish },
): Promise<PromoteRequested> {
  const { runId } = request;
  const run = await deps.store.getRun(runId);
  if (!run) throw new ModelshipError(`run ${runId} not found`, { hint: 'modelship runs lists them' });
  if (run.status === 'running') {
    throw new ModelshipError(`run ${runId} is still measuring its candidates`, {
      hint: `wait for it to end: modelship runs show ${runId}`,
    });
  }
  const measured = Object.entries(run.scenarios ?? {}).filter(
    ([key, c]) => armOf(key).arm === 'release' && c.status === 'succeeded' && c.figures,
  );
  const passed = measured.filter(([, c]) => c.verdict?.passed).map(([key]) => key);
  const scenario = request.scenario ?? (passed.length === 1 ? passed[0] : undefined);
  if (!scenario) {
    throw new ModelshipError(
      passed.length
        ? `run ${runId} has ${passed.length} candidates that passed the gate (${passed.join(', ')}): say which`
        : `no candidate of run ${runId} passed the gate`,
      { hint: `pass --scenario S, one of the measured candidates: ${measured.map(([k]) => k).join(', ') || 'none'}` },
    );
  }
  const candidate = measured.find(([key]) => key === scenario)?.[1];
  if (!candidate?.image) {
    throw new ModelshipError(`run ${runId} has no measured candidate ${scenario}`, {
      hint: `one of: ${measured.map(([k]) => k).join(', ') || 'none was measured'}`,
    });
  }
  const verdict = candidate.verdict?.passed ? 'it passed the gate' : 'the gate refused it; promoted by hand';
  const message: PromoteRequested = {
    type: 'PromoteRequested',
    version: 1,
    runId,
    scenario,
    image: candidate.image,
    requestedBy: 'operator',
    reason: `promoted by hand (modelship promote): ${verdict}`,
  };
  await deps.publish(message);
  return message;
}
