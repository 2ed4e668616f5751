/** Every Pub/Sub topic of the pipeline, declared once. `cloud-builds` is Cloud Build's own notification topic. */
export const TOPICS = {
  modelReleased: 'model-released',
  deployRequested: 'deploy-requested',
  /** The end of a run's measurement: tear the candidates down, and apply the chosen one to the serving deployment. */
  promoteRequested: 'promote-requested',
  promotionFinished: 'promotion-finished',
  loadTestRequested: 'load-test-requested',
  loadTestFinished: 'load-test-finished',
  pipelineFailed: 'pipeline-failed',
  cloudBuilds: 'cloud-builds',
  /** Cloud Scheduler's tick for watchRuns. */
  watchRuns: 'watch-runs',
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];
