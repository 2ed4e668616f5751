import { parseArgs } from 'node:util';
import { serveFunctions } from './functions-host.js';

/**
 * Child-process entry of the local stack's functions: `node functions-main.js --port P --functions a,b`.
 * Its stdout (the functions' structured logs) goes to a log file; readiness goes to the parent over IPC.
 */
const { values } = parseArgs({ options: { port: { type: 'string' }, functions: { type: 'string' } } });
const names = (values.functions ?? '').split(',').filter(Boolean);
const { url, server } = await serveFunctions(names, Number(values.port ?? 0));
process.send?.({ ready: url });
const stop = () => server.close(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
process.once('disconnect', stop);
