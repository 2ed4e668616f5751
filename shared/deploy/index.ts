/**
 * Scenarios and their deployment to Kubernetes. The deployScenario Cloud Function calls `deployScenario`
 * (see its contract in deploy-scenario.ts) with a scenario from `loadScenario` and a KubeClient built by
 * `createKubeClient(await gkeKubeConfig(clusterAccess(new ClusterManagerClient()), CLUSTER))`.
 */
export * from './batching.js';
export * from './deploy-scenario.js';
export * from './kube-client.js';
export * from './kube-config.js';
export * from './node-fit.js';
export * from './object-names.js';
export * from './quantity.js';
export * from './render-deployment.js';
export * from './render.js';
export * from './rollout.js';
export * from './scenario-loader.js';
export * from './scenario.js';
export * from './teardown.js';
