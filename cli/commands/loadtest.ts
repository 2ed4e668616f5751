import { runLoadTestJob } from '../../loadtest/job.js';
import { PeerTaskFailed } from '../../loadtest/task-peers.js';
import { optionsHelp, parseArgsOptions, parseLoadTestArgs } from '../../loadtest/options.js';
import { ConfigError, ModelshipError } from '../../shared/errors.js';
import { type Command } from '../command.js';
import { interruptOnSignals } from '../interrupt.js';

export const loadtestCommand: Command = {
  options: parseArgsOptions(),
  usage: `Usage: modelship loadtest --target HOST:PORT (--users N | --rate R | --stages S) [options]
       modelship loadtest --target HOST:PORT --find-capacity --p99-bound D --rate R --duration D [options]

The second form searches the capacity: the most requests/s held with p99 under --p99-bound and errors under
--errors-bound, in probes of --duration from --rate (doubled until one fails, then bisected to within 5%); a probe
where the generator fell behind its schedule is invalid and never counted as the server's (docs/loadtest.md).

Exit code: 0 passed (a capacity search: the server's capacity was found), 1 a threshold failed (or
--stop-on-failure-ratio stopped the run, or a capacity search ended without the server's capacity), 2 could not run.
Every option can also come from the environment as MODELSHIP_<OPTION> (MODELSHIP_SPAWN_RATE=1).

Options:
${optionsHelp()}

Examples:
  modelship loadtest --target 127.0.0.1:8500 --users 150 --spawn-rate 1 --think-time 1s --duration 5m --image cat.jpg
  modelship loadtest --target 127.0.0.1:8500 --stages 30s:50,1m:200,30s:0 --threshold 'p99<500ms' --out results/
  modelship loadtest --target 127.0.0.1:8500 --find-capacity --p99-bound 200ms --rate 10 --duration 60s --warmup 10s`,
  async run(argv) {
    const values = parseLoadTestArgs(argv);
    // Ctrl-C, and the SIGTERM Cloud Run sends a task it cancels or times out (SIGKILL follows 10 s later): the test
    // stops, and what it measured is written and reported. A second signal kills at once.
    const interrupt = interruptOnSignals();
    // In the pipeline (the Cloud Run job), results also go to the run, the report bucket and reportResults. Its
    // Cloud clients cost about a second of CPU to load: a run by hand (or the bench) does not load them.
    const sink = process.env.MODELSHIP_RUN_ID ? await import('../../loadtest/pipeline-sink.js') : undefined;
    const pipeline = sink?.pipelineFromEnv(
      typeof values.scenario === 'string' ? values.scenario : process.env.MODELSHIP_SCENARIO,
      process.env,
    );
    try {
      return await runLoadTestJob(values, process.env, {
        signal: interrupt.signal,
        ...(sink && pipeline
          ? {
              reportSink: sink.pipelineSink(pipeline.run, pipeline.deps),
              taskObjects: { objects: pipeline.deps.reports, prefix: sink.reportPrefix(pipeline.run) },
            }
          : {}),
      });
    } catch (err) {
      // Another task's failure is that task's to report: this one only exits non-zero.
      if (sink && pipeline && !(err instanceof PeerTaskFailed))
        await sink.reportCannotRun(pipeline.run, err, pipeline.deps);
      // Options already say what is wrong with them; anything else kept the load test from running at all.
      if (err instanceof ModelshipError && !(err instanceof ConfigError))
        throw new ModelshipError(`could not run: ${err.message}`, { cause: err });
      throw err;
    } finally {
      interrupt.dispose();
      await pipeline?.close();
    }
  },
};
