/**
 * http:// and https:// actions: Aodh's REST notifier. The body is Aodh's,
 * byte for byte (keys in rest.py's order, json.dumps' spacing), with
 * `content-type: application/json` and a fresh `x-openstack-request-id`.
 * Heat's pre-signed alarm_url is an ordinary https action and works as is.
 */
import { randomUUID } from 'node:crypto';
import type { AlarmNotification } from '../model.js';
import { type HttpPostOptions, postJson } from './http-post.js';
import type { DeliveryResult, Notifier } from './notifier.js';
import { pythonJson } from '../../tsdb/api/python-json.js';

export type WebhookOptions = HttpPostOptions;

/** The JSON text Aodh's rest.py posts. */
export function aodhBody(n: AlarmNotification): string {
  return pythonJson({
    alarm_name: n.alarm_name,
    alarm_id: n.alarm_id,
    severity: n.severity,
    previous: n.previous,
    current: n.current,
    reason: n.reason,
    reason_data: n.reason_data,
  });
}

/** Aodh's headers, in its order; `extra` (X-Auth-Token) first, as the trust notifier passes them. */
export function aodhHeaders(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return { ...extra, 'x-openstack-request-id': `req-${randomUUID()}`, 'content-type': 'application/json', 'user-agent': 'tally-alarm-notifier' };
}

export class WebhookNotifier implements Notifier {
  constructor(private readonly options: WebhookOptions = {}) {}

  deliver(n: AlarmNotification, signal: AbortSignal): Promise<DeliveryResult> {
    return postJson(n.action, aodhBody(n), aodhHeaders(), this.options, signal);
  }
}
