/**
 * trust+http:// and trust+https:// actions: Aodh's TrustRestAlarmNotifier.
 * The URL's username is a Keystone trust ID; tally takes a token scoped to it
 * and POSTs the webhook body to the URL without `trust+` and without the
 * userinfo, with the token as X-Auth-Token. This is how Heat autoscaling
 * signals reach Heat as the stack owner.
 */
import type { AlarmNotification } from '../model.js';
import { trustOf, trustTarget } from './action-url.js';
import { postJson } from './http-post.js';
import { KeystoneError, type KeystoneTrusts } from './keystone-trusts.js';
import { type DeliveryResult, type Notifier, failed } from './notifier.js';
import { type WebhookOptions, aodhBody, aodhHeaders } from './webhook.js';

export class TrustWebhookNotifier implements Notifier {
  constructor(
    private readonly trusts: KeystoneTrusts,
    private readonly options: WebhookOptions = {},
  ) {}

  async deliver(n: AlarmNotification, signal: AbortSignal): Promise<DeliveryResult> {
    const trust = trustOf(n.action);
    if (!trust) return failed('a trust+ action needs a trust ID (the API adds one when the alarm is saved with keystone auth)', false);
    const target = trustTarget(n.action);
    const body = aodhBody(n);
    // a cached token may have been revoked since: on 401, once more with a fresh one
    for (let attempt = 0; ; attempt++) {
      let token: string;
      try {
        token = await this.trusts.trustToken(trust.trustId, signal);
      } catch (err) {
        if (err instanceof KeystoneError) return failed(err.message, err.retryable, err.status);
        return failed(`cannot get a trust token: ${String(err)}`, true);
      }
      const result = await postJson(target, body, aodhHeaders({ 'X-Auth-Token': token }), this.options, signal);
      if (result.delivered || result.status !== 401) return result;
      this.trusts.forgetTrustToken(trust.trustId);
      if (attempt > 0 || signal.aborted) return result;
    }
  }
}
