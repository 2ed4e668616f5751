import { createLogger, type Fields, type Logger, type LogLabels } from '../../shared/log.js';

/** A logger that keeps its entries, for tests: they read what was logged. */
export function createMemoryLogger(labels: LogLabels = {}): Logger & { lines: Fields[] } {
  const lines: Fields[] = [];
  const logger = createLogger({ labels, write: (line) => lines.push(JSON.parse(line) as Fields) });
  return Object.assign(logger, { lines });
}
