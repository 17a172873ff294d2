/**
 * Runs the evaluation cycle on a cron schedule (node-cron) every
 * `intervalSeconds`, first at start. A cycle still running when the next is
 * due is not overlapped: that tick is skipped and logged.
 */
import cron from 'node-cron';

/** The cron expression (with seconds) for an interval, or an error naming the intervals cron can express. */
export function cronForInterval(seconds: number): string {
  if (Number.isInteger(seconds) && seconds > 0) {
    if (seconds < 60 && 60 % seconds === 0) return `*/${seconds} * * * * *`;
    if (seconds % 60 === 0 && seconds < 3600 && 60 % (seconds / 60) === 0) return `0 */${seconds / 60} * * * *`;
    if (seconds % 3600 === 0 && 24 % (seconds / 3600) === 0) return `0 0 */${seconds / 3600} * * *`;
  }
  throw new Error(`evaluation_interval ${seconds}: must divide a minute, an hour or a day evenly (e.g. 10, 30, 60, 300, 3600)`);
}

export interface Schedule {
  /** stops scheduling and waits for the running cycle */
  stop(): Promise<void>;
}

export function scheduleEvaluation(intervalSeconds: number, cycle: () => Promise<void>, log: (line: string) => void): Schedule {
  let running: Promise<void> | null = null;
  const tick = (): void => {
    if (running) {
      log(`alarms: evaluation cycle still running after ${intervalSeconds} s: this tick is skipped`);
      return;
    }
    running = cycle()
      .catch((err: unknown) => log(`alarms: evaluation cycle failed: ${(err as Error).message}`))
      .finally(() => (running = null));
  };
  const task = cron.schedule(cronForInterval(intervalSeconds), tick, { noOverlap: false });
  tick();
  return {
    async stop(): Promise<void> {
      await task.stop();
      await running;
    },
  };
}
