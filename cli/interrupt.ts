/**
 * Ctrl-C, `kill`, a closed terminal, or a reader that went away (`| head`): each aborts the signal, so that a command
 * stops everything its local stack started (containers too) rather than die and leave it running. `dispose` stops
 * listening to the signals; the stdout listener stays, as the last lines may still go to a reader that has gone.
 */
export function interruptOnSignals(): { signal: AbortSignal; dispose(): void } {
  const interrupt = new AbortController();
  const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const onSignal = () => interrupt.abort();
  for (const signal of SIGNALS) process.once(signal, onSignal);
  process.stdout.on('error', onSignal);
  return {
    signal: interrupt.signal,
    dispose: () => {
      for (const signal of SIGNALS) process.off(signal, onSignal);
    },
  };
}
