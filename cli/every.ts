/**
 * A job run every so many seconds on a cron schedule (node-cron), first
 * right away. A run still going when the next is due is not overlapped:
 * that tick is skipped and reported. Shared by the alarm evaluation cycle
 * and the agent's polls.
 */
import cron from 'node-cron';

/** The cron expression (with seconds) for an interval; throws naming `what` and the intervals cron can express. */
export function cronForInterval(seconds: number, what: string): string {
  if (Number.isInteger(seconds) && seconds > 0) {
    if (seconds < 60 && 60 % seconds === 0) return `*/${seconds} * * * * *`;
    if (seconds % 60 === 0 && seconds < 3600 && 60 % (seconds / 60) === 0) return `0 */${seconds / 60} * * * *`;
    if (seconds % 3600 === 0 && 24 % (seconds / 3600) === 0) return `0 0 */${seconds / 3600} * * *`;
  }
  throw new Error(`${what} ${seconds}: must divide a minute, an hour or a day evenly (e.g. 10, 30, 60, 300, 3600)`);
}

export interface Schedule {
  /** stops scheduling and waits for the running job */
  stop(): Promise<void>;
}

export function scheduleEvery(seconds: number, what: string, job: () => Promise<void>, onSkip: () => void): Schedule {
  const expression = cronForInterval(seconds, what);
  let running: Promise<void> | null = null;
  const tick = (): void => {
    if (running) {
      onSkip();
      return;
    }
    running = job().finally(() => (running = null));
  };
  const task = cron.schedule(expression, tick, { noOverlap: false });
  tick();
  return {
    async stop(): Promise<void> {
      await task.stop();
      await running;
    },
  };
}
