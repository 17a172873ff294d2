/**
 * Runs the evaluation cycle every `intervalSeconds` (cli/every.ts), first
 * at start; a cycle still running when the next is due is not overlapped.
 */
import { type Schedule, scheduleEvery } from '../../cli/every.js';

export type { Schedule };

export function scheduleEvaluation(intervalSeconds: number, cycle: () => Promise<void>, log: (line: string) => void, onSkip: () => void = () => undefined): Schedule {
  return scheduleEvery(
    intervalSeconds,
    'evaluation_interval',
    () => cycle().catch((err: unknown) => log(`alarms: evaluation cycle failed: ${(err as Error).message}`)),
    () => {
      onSkip();
      log(`alarms: evaluation cycle still running after ${intervalSeconds} s: this tick is skipped`);
    },
  );
}
