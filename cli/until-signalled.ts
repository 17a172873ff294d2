/** Waits for SIGTERM or SIGINT, then stops what runs; a failed stop sets the exit code. */
export function untilSignalled(name: string, stop: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    const onSignal = (signal: string): void => {
      console.log(`${name}: ${signal}, shutting down`);
      stop().then(resolve, (err: unknown) => {
        console.error(`${name}: shutdown failed: ${String(err)}`);
        process.exitCode = 1;
        resolve();
      });
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
  });
}
