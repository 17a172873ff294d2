/**
 * The notifiers tally offers, built from configuration: http(s) webhooks
 * always, log:// into tally's log, trust+http(s) when Keystone's service
 * user is configured, mailto: when an SMTP relay is. A scheme that is valid
 * but not configured gets a notifier that says so on every attempt, so the
 * alarm history explains why nothing was sent.
 */
import { KeystoneTrusts, type KeystoneServiceOptions } from './keystone-trusts.js';
import { LogNotifier } from './log.js';
import { MailtoNotifier, type SmtpOptions } from './mailto.js';
import { Notifiers, unavailableNotifier } from './notifier.js';
import { TrustWebhookNotifier } from './trust-webhook.js';
import { WebhookNotifier, type WebhookOptions } from './webhook.js';

export interface NotifiersOptions {
  /** where log:// actions write */
  readonly log: (line: string) => void;
  /** timeout and TLS settings of http(s) and trust+http(s) actions */
  readonly webhook?: WebhookOptions;
  /** Keystone (shared with the API, which creates the trusts), or its service user's settings; none: no trust+ actions */
  readonly keystone?: KeystoneTrusts | KeystoneServiceOptions | null;
  /** none: no mailto: actions */
  readonly smtp?: SmtpOptions | null;
}

export function createNotifiers(options: NotifiersOptions): Notifiers {
  const webhook = new WebhookNotifier(options.webhook);
  const notifiers = new Notifiers([
    ['http', webhook],
    ['https', webhook],
    ['log', new LogNotifier(options.log)],
  ]);
  if (options.keystone) {
    const trusts = options.keystone instanceof KeystoneTrusts ? options.keystone : new KeystoneTrusts(options.keystone);
    const trust = new TrustWebhookNotifier(trusts, options.webhook);
    notifiers.set('trust+http', trust).set('trust+https', trust);
  } else {
    const none = unavailableNotifier('trust+http(s) actions need Keystone, and no Keystone service user is configured (keystone_url, keystone_username, …)');
    notifiers.set('trust+http', none).set('trust+https', none);
  }
  notifiers.set('mailto', options.smtp ? new MailtoNotifier(options.smtp) : unavailableNotifier('mailto: actions need an SMTP relay, and none is configured'));
  return notifiers;
}

export { KeystoneError, KeystoneTrusts, type KeystoneServiceOptions, type NewTrust } from './keystone-trusts.js';
export { logLine, LogNotifier } from './log.js';
export { MailtoNotifier, type SmtpOptions, parseMailto } from './mailto.js';
export * from './notifier.js';
export { OutboxWorker, type OutboxStats, type OutboxWorkerOptions } from './outbox.js';
export { TrustWebhookNotifier } from './trust-webhook.js';
export { aodhBody, WebhookNotifier, type WebhookOptions } from './webhook.js';
