import {
  IGNORED_TF_FLAGS,
  normalizeBooleanFlags,
  resolveSimOptions,
  SERVING_LINE_PREFIX,
  SIM_FLAGS,
  SimStartError,
  startTfServingSim,
} from '../../local/tfserving-sim/index.js';
import { parseOptions } from '../../shared/command-line.js';
import { type Command } from '../command.js';

const ignored = Object.fromEntries(IGNORED_TF_FLAGS.map((f) => [f, { type: 'string' } as const]));

export const tfsSimCommand: Command = {
  usage: `Usage: modelship tfs-sim --model_name NAME --model_base_path DIR [--port 8500] [--rest_api_port 8501] [flags]

A stand-in for tensorflow_model_server: loads the highest numeric version under DIR (LOADING -> AVAILABLE after
--load_time_ms), then opens its ports and answers Predict, GetModelMetadata, GetModelStatus and the REST API with
TF Serving's semantics. Service times come from a cost model (docs/tfserving.md); nothing is computed.
Prints one line starting "${SERVING_LINE_PREFIX}" on stdout when the ports are open; stops on SIGTERM/SIGINT.

TF Serving flags (--flag=value or --flag value):
  --port N                       gRPC port (default 8500; 0 = a free port, printed)
  --rest_api_port N              REST port (default 0 = REST off, as TF Serving)
  --model_name NAME              default $MODEL_NAME, else "default"
  --model_base_path DIR          default $MODEL_BASE_PATH/NAME, as the TF Serving image's entrypoint
  --tensorflow_intra_op_parallelism N, --tensorflow_inter_op_parallelism N   (0 = auto = --cpus)
  --tensorflow_session_parallelism N   both of the above, when they are 0
  --enable_batching[=true]       --batching_parameters_file FILE (BatchingParameters text format)
  --monitoring_config_file FILE  prometheus_config { enable: true path: "/monitoring/prometheus/metrics" }
  --file_system_poll_wait_seconds N    how often to look for a version directory while there is none (default 1)
  Accepted, not simulated: ${IGNORED_TF_FLAGS.map((f) => `--${f}`).join(', ')}
Simulator flags:
  --cpus N                       CPUs the simulated server has (default: this machine's)
  --host ADDR                    bind address (default 127.0.0.1)
  --load_time_ms N               simulated model load time (default 100)
  --sim_cpu_ms_per_example MS    single-core CPU time of one example (default 80, ResNet-50-like)
  --sim_fixed_latency_ms MS      every session run takes exactly MS, at any load (a known truth for load testers)
  --sim_stall_every_ms MS --sim_stall_ms MS   stall the server periodically (responses held during a stall)
  --sim_max_in_flight N          requests in progress at once before RESOURCE_EXHAUSTED (default 256)`,
  async run(argv) {
    const { values } = parseOptions(normalizeBooleanFlags(argv), { ...SIM_FLAGS, ...ignored });
    const options = await resolveSimOptions(values, process.env);
    for (const flag of IGNORED_TF_FLAGS) {
      if ((values as Record<string, string | undefined>)[flag] !== undefined)
        console.error(`W tfs-sim: --${flag} is accepted but not simulated`);
    }
    const aborter = new AbortController();
    let stopRequested: () => void = () => aborter.abort();
    const stopped = new Promise<void>((resolve) => {
      const onSignal = () => stopRequested();
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      stopRequested = () => {
        aborter.abort();
        resolve();
      };
    });
    let sim;
    try {
      sim = await startTfServingSim(options, { log: (line) => console.error(line), signal: aborter.signal });
    } catch (err) {
      if (aborter.signal.aborted) return 0;
      if (err instanceof SimStartError) {
        console.error(`E tfs-sim: ${err.message}`);
        return 1;
      }
      throw err;
    }
    const rest = sim.restPort === undefined ? 'REST off' : `REST ${options.host}:${sim.restPort}`;
    console.log(
      `${SERVING_LINE_PREFIX} model '${options.modelName}' version ${sim.version} on gRPC ${options.host}:${sim.grpcPort}, ${rest} (simulated)`,
    );
    await stopped;
    await sim.stop();
    console.error('I tfs-sim: stopped');
    return 0;
  },
};
