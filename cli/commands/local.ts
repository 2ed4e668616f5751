import { resolve } from 'node:path';
import { releaseTarball, sampleReleaseTarball } from '../../local/release-tarball.js';
import { runLocalRelease } from '../../local/local-release.js';
import { defaultRuntime, type Runtime } from '../../local/stack.js';
import { parseDuration } from '../../loadtest/duration.js';
import { UsageError, parseOptions } from '../../shared/command-line.js';
import { type Command } from '../command.js';

const usage = `Usage: modelship local demo [--dir DIR]
       modelship local release --model DIR|TARBALL [--scenario NAME] [--duration D] [--users N] [--dir DIR]
       (both also take --runtime containers|processes)

Runs the whole pipeline on this machine: the Google Cloud SDK's Pub/Sub and Firestore emulators, a local OCI
registry, modelship's emulators of Cloud Build, Kubernetes and Cloud Run, a stand-in for GitHub, and every function
on 127.0.0.1 (ports from firebase.json). The build steps, pods and load-test job run as containers of their images
(podman), built from the repository's Dockerfiles. A release is published with the model as its asset, the signed webhook is sent, and the run is
followed stage by stage: received, baking, deploying, load testing, reported.

  demo      the sample model (a generated SavedModel with the seed's ResNet50 signature); what npm start runs
  release   your own SavedModel: a directory (with or without its version directory) or a .tar.gz

Exit code: 0 when the run succeeded; otherwise 1, with the stage that failed and why.

Options:
  --model PATH      the SavedModel to release
  --scenario NAME   the serving scenario (default 2n-8c-16r-interop4; modelship scenarios lists them)
  --duration D      load test duration (default 10s)
  --users N         load test users (default 20)
  --dir DIR         where logs, the registry and reports go (default .modelship)
  --runtime R       containers (default when podman is installed) or processes (the same code, no images run)`;

export const local: Command = {
  usage,
  async run(argv) {
    const { values, positionals } = parseOptions(
      argv,
      {
        dir: { type: 'string', default: '.modelship' },
        model: { type: 'string' },
        scenario: { type: 'string' },
        duration: { type: 'string', default: '10s' },
        users: { type: 'string', default: '20' },
        runtime: { type: 'string' },
      },
      true,
    );
    const [action, ...extra] = positionals;
    if (extra.length) throw new UsageError(`unexpected '${extra.join(' ')}'`);
    if (action !== 'demo' && action !== 'release')
      throw new UsageError(action ? `unknown action '${action}'` : 'an action is required');
    if (action === 'release' && !values.model) throw new UsageError('local release needs --model DIR|TARBALL');
    const durationMs = parseDuration(values.duration);
    if (durationMs === undefined || durationMs < 1000)
      throw new UsageError(`--duration must be a duration of at least 1s, such as 30s or 2m, not '${values.duration}'`);
    const users = Number(values.users);
    if (!Number.isInteger(users) || users < 1)
      throw new UsageError(`--users must be a positive whole number, not '${values.users}'`);
    if (values.runtime !== undefined && values.runtime !== 'containers' && values.runtime !== 'processes')
      throw new UsageError(`--runtime must be containers or processes, not '${values.runtime}'`);
    const fallback = defaultRuntime();
    const runtime: Runtime = (values.runtime as Runtime | undefined) ?? fallback.runtime;
    console.log(`modelship local ${action} (${runtime})`);
    if (!values.runtime && fallback.note) console.log(`  ! ${fallback.note}`);
    const tarball = values.model ? await releaseTarball(resolve(values.model)) : await sampleReleaseTarball();
    const interrupt = new AbortController();
    // Stopped by Ctrl-C, `kill` or a closed terminal: everything the stack started, containers too, is stopped.
    const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
    const onSignal = () => interrupt.abort();
    for (const signal of SIGNALS) process.once(signal, onSignal);
    // A reader that went away (`| head`) is a hangup too: stop the stack, rather than die of EPIPE and leave it running.
    process.stdout.on('error', onSignal);
    const release = runLocalRelease({
      signal: interrupt.signal,
      dir: resolve(values.dir),
      runtime,
      tarball,
      ...(values.scenario ? { scenario: values.scenario } : {}),
      durationS: Math.ceil(durationMs / 1000),
      users,
      print: (line) => console.log(line),
    });
    try {
      return (await release).code;
    } catch (err) {
      if (!interrupt.signal.aborted) throw err;
      console.log('interrupted: everything the local stack started is stopped');
      return 130;
    } finally {
      // The stdout listener stays: the last lines may still go to a reader that has gone.
      for (const signal of SIGNALS) process.off(signal, onSignal);
    }
  },
};
