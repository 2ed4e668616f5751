/**
 * Structured logs for Cloud Logging: one JSON object per line on stdout, which Cloud Functions and Cloud Run turn
 * into LogEntries (`severity`, `message`, the special `logging.googleapis.com/labels` and `.../trace` keys).
 * Fields pass through a redactor: secrets never reach the log, and no value is large enough to be a whole payload.
 */

export type Severity = 'DEBUG' | 'INFO' | 'NOTICE' | 'WARNING' | 'ERROR';
export type Fields = Record<string, unknown>;

export interface LogLabels {
  runId?: string;
  scenario?: string;
  component?: string;
}

export interface Logger {
  debug(message: string, fields?: Fields): void;
  info(message: string, fields?: Fields): void;
  notice(message: string, fields?: Fields): void;
  warn(message: string, fields?: Fields): void;
  error(message: string, fields?: Fields): void;
  /** A logger whose entries carry more labels (a run id once it is known) or a trace. */
  child(labels: LogLabels, trace?: string): Logger;
}

export interface LoggerOptions {
  labels?: LogLabels;
  /** `projects/PROJECT/traces/TRACE_ID`, from the request's traceparent. */
  trace?: string;
  write?: (line: string) => void;
  minSeverity?: Severity;
}

const SECRET_KEY = /secret|token|password|passwd|authorization|signature|credential|private.?key|cookie/i;
const MAX_STRING = 500;
const MAX_DEPTH = 3;
const MAX_KEYS = 30;
const RANK: Record<Severity, number> = { DEBUG: 0, INFO: 1, NOTICE: 2, WARNING: 3, ERROR: 4 };

/** Removes secrets by key name, shortens long strings, and cuts deep or wide objects: a log is not a payload dump. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
  if (value instanceof Error) return { name: value.name, message: redact(value.message, depth + 1) };
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_DEPTH) return '[object]';
  if (Array.isArray(value)) return value.slice(0, MAX_KEYS).map((v) => redact(v, depth + 1));
  const out: Fields = {};
  for (const [key, v] of Object.entries(value).slice(0, MAX_KEYS)) {
    out[key] = SECRET_KEY.test(key) ? '[redacted]' : redact(v, depth + 1);
  }
  return out;
}

/** The Cloud Trace resource name for a W3C `traceparent` header value, when there is one. */
export function traceFromTraceparent(traceparent: string | undefined, project: string | undefined): string | undefined {
  const match = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent ?? '');
  return match && project ? `projects/${project}/traces/${match[1]}` : undefined;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const min = RANK[options.minSeverity ?? 'DEBUG'];
  const labels = Object.fromEntries(Object.entries(options.labels ?? {}).filter(([, v]) => v !== undefined));

  const entry =
    (severity: Severity) =>
    (message: string, fields: Fields = {}) => {
      if (RANK[severity] < min) return;
      const record: Fields = {
        ...(redact(fields) as Fields),
        severity,
        message,
        time: new Date().toISOString(),
        'logging.googleapis.com/labels': labels,
      };
      if (options.trace) record['logging.googleapis.com/trace'] = options.trace;
      write(JSON.stringify(record));
    };

  return {
    debug: entry('DEBUG'),
    info: entry('INFO'),
    notice: entry('NOTICE'),
    warn: entry('WARNING'),
    error: entry('ERROR'),
    child: (more, trace) =>
      createLogger({ ...options, labels: { ...options.labels, ...more }, trace: trace ?? options.trace }),
  };
}
