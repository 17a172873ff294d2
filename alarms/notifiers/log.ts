/**
 * log:// actions: one line in tally's log, worded as Aodh's LogAlarmNotifier
 * words it, so that log searches written for Aodh still match.
 */
import type { AlarmNotification } from '../model.js';
import { scrubAction } from './action-url.js';
import { type DeliveryResult, type Notifier, delivered } from './notifier.js';

/** Aodh's LogAlarmNotifier message. */
export function logLine(n: AlarmNotification): string {
  return `Notifying alarm ${n.alarm_name} ${n.alarm_id} of ${n.severity} priority from ${n.previous} to ${n.current} with action ${scrubAction(n.action)} because ${n.reason}.`;
}

export class LogNotifier implements Notifier {
  constructor(private readonly log: (line: string) => void) {}

  async deliver(n: AlarmNotification): Promise<DeliveryResult> {
    this.log(logLine(n));
    return delivered(null);
  }
}
