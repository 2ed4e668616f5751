import { parseArgs } from 'node:util';
import { serveFunction } from './functions-host.js';

/**
 * Child-process entry of one function of the local stack: `node functions-main.js --port P --function NAME`, as
 * Cloud Functions runs each function in instances of its own (FUNCTION_TARGET, its own service account).
 * Its stdout (the function's structured logs) goes to a log file; readiness goes to the parent over IPC.
 */
const { values } = parseArgs({ options: { port: { type: 'string' }, function: { type: 'string' } } });
const { url, server } = await serveFunction(values.function ?? '', Number(values.port ?? 0));
process.send?.({ ready: url });
const stop = () => server.close(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
process.once('disconnect', stop);
