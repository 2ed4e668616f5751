import { TOPICS, type TopicName } from '../shared/topics.js';

/**
 * What invokes each function (its entry point in functions/index.ts). In Google Cloud each event function is
 * deployed with one Eventarc Pub/Sub trigger per topic; the local stack makes one push subscription per pair.
 */
export const FUNCTION_TRIGGERS = {
  githubWebhook: 'http',
  bakeModel: [TOPICS.modelReleased],
  onBuildFinished: [TOPICS.cloudBuilds],
  deployScenario: [TOPICS.deployRequested],
  launchLoadTest: [TOPICS.loadTestRequested],
  reportResults: [TOPICS.loadTestFinished, TOPICS.pipelineFailed],
} as const satisfies Record<string, 'http' | readonly TopicName[]>;

export type EntryPoint = keyof typeof FUNCTION_TRIGGERS;
export const ENTRY_POINTS = Object.keys(FUNCTION_TRIGGERS) as EntryPoint[];
