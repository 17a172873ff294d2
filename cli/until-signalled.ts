/**
 * Runs what `start` starts until SIGTERM or SIGINT, then stops it; a failed
 * stop sets the exit code. The signals are listened to before the start
 * begins: one that arrives while it is under way (a supervisor stopping a
 * process that has just said it listens) stops it once started, instead of
 * killing it with Node's default handling mid-way.
 */
export async function untilSignalled(name: string, start: () => Promise<{ stop(): Promise<void> }>): Promise<void> {
  let signalled: (signal: string) => void = () => undefined;
  const signal = new Promise<string>((resolve) => (signalled = resolve));
  const onTerm = (): void => signalled('SIGTERM');
  const onInt = (): void => signalled('SIGINT');
  process.once('SIGTERM', onTerm);
  process.once('SIGINT', onInt);
  let running: { stop(): Promise<void> };
  try {
    running = await start();
  } catch (err) {
    process.removeListener('SIGTERM', onTerm);
    process.removeListener('SIGINT', onInt);
    throw err;
  }
  console.log(`${name}: ${await signal}, shutting down`);
  try {
    await running.stop();
  } catch (err) {
    console.error(`${name}: shutdown failed: ${String(err)}`);
    process.exitCode = 1;
  }
}
