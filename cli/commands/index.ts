import type { CommandEntry } from '../command.js';

/**
 * Every `modelship` sub-command, in the order `modelship --help` lists them. A command's module (and the clients it
 * imports) is loaded only when that command runs, so `modelship --help` and small commands start at once.
 */
export const commands: readonly CommandEntry[] = [
  {
    name: 'local',
    summary: 'run the whole pipeline on this machine (npm start runs its demo)',
    load: async () => (await import('./local.js')).local,
  },
  {
    name: 'fixture',
    summary: 'write the test SavedModel the demo releases (fixture saved-model DIR), to try local release',
    load: async () => (await import('./fixture.js')).fixtureCommand,
  },
  {
    name: 'loadtest',
    summary: 'load-test a TF Serving model over gRPC or REST (open or closed model, thresholds, reports)',
    load: async () => (await import('./loadtest.js')).loadtestCommand,
  },
  {
    name: 'compare',
    summary: 'compare load test runs side by side (table, compare.html, compare.svg)',
    load: async () => (await import('./compare.js')).compareCommand,
  },
  {
    name: 'tfs-sim',
    summary: 'a simulated tensorflow_model_server (gRPC + REST) with a documented cost model',
    load: async () => (await import('./tfs-sim.js')).tfsSimCommand,
  },
  {
    name: 'scenarios',
    summary: 'list the serving scenarios with their replicas, node, pod resources, threads and batching',
    load: async () => (await import('./scenarios.js')).scenariosCommand,
  },
  {
    name: 'render',
    summary: "print a scenario's Kubernetes objects as YAML for kubectl apply",
    load: async () => (await import('./render.js')).renderCommand,
  },
  {
    name: 'redeploy',
    summary: 'measure a scenario as a candidate and promote it through the gate (the last good image unless --image)',
    load: async () => (await import('./redeploy.js')).redeployCommand,
  },
  {
    name: 'promote',
    summary: 'serve a measured candidate of a run that has ended (PROMOTION=manual, or to override the gate)',
    load: async () => (await import('./promote.js')).promoteCommand,
  },
  {
    name: 'runs',
    summary: 'list runs with their stages and results; runs show ID for one',
    load: async () => (await import('./runs.js')).runs,
  },
  {
    name: 'sweep',
    summary: 'measure several scenarios side by side in one run, compare them and recommend one',
    load: async () => (await import('./sweep.js')).sweepCommand,
  },
  {
    name: 'gcp',
    summary: 'provision and deploy the pipeline to Google Cloud (plan, apply, check)',
    load: async () => (await import('./gcp.js')).gcp,
  },
  {
    name: 'bake',
    summary: 'the steps of a bake build: fetch, extract and lay out a released SavedModel (run by Cloud Build)',
    load: async () => (await import('./bake.js')).bake,
  },
];
