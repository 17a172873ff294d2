/**
 * What every notifier does — deliver one alarm notification and say how it
 * went — and the registry that picks a notifier by the action's URL scheme,
 * as Aodh's `aodh.notifier` entry points do. The outbox worker (outbox.ts)
 * turns a DeliveryResult into "delivered", "retry later" or "give up".
 */
import type { AlarmNotification } from '../model.js';
import { SUPPORTED_SCHEMES, schemeOf } from './action-url.js';

export { SUPPORTED_SCHEMES, type SupportedScheme, embedTrust, isSupportedScheme, schemeOf, scrubAction, trustOf } from './action-url.js';

export type DeliveryResult =
  | {
      readonly delivered: true;
      /** the receiver's status code (HTTP, or SMTP's reply code); null when there is none (log) */
      readonly status: number | null;
      /** what the receiver may correlate with (x-openstack-request-id, Message-ID) */
      readonly requestId?: string;
    }
  | {
      readonly delivered: false;
      readonly status: number | null;
      readonly error: string;
      /** false: the same notification will never succeed (4xx but 408/429, a malformed action, …) */
      readonly retryable: boolean;
      /** the receiver asked for this delay (Retry-After) */
      readonly retryAfterSeconds?: number;
      readonly requestId?: string;
    };

export type DeliveryFailure = Extract<DeliveryResult, { delivered: false }>;

export interface Notifier {
  /** Never throws: failures are results. `signal` aborts the attempt (the worker is stopping). */
  deliver(n: AlarmNotification, signal: AbortSignal): Promise<DeliveryResult>;
}

export const delivered = (status: number | null, requestId?: string): DeliveryResult => ({ delivered: true, status, ...(requestId ? { requestId } : {}) });

export const failed = (error: string, retryable: boolean, status: number | null = null, extra: { retryAfterSeconds?: number; requestId?: string } = {}): DeliveryFailure => ({
  delivered: false,
  status,
  error,
  retryable,
  ...extra,
});

/** 408 and 429 say "later"; other 4xx say the request itself is wrong, and will stay so. */
export const retryableStatus = (status: number): boolean => status >= 500 || status === 408 || status === 429;

/** A scheme that is valid but not configured here (no SMTP server, no Keystone): every attempt says why. */
export function unavailableNotifier(reason: string): Notifier {
  return { deliver: async () => failed(reason, false) };
}

/** Notifiers by URL scheme. */
export class Notifiers {
  private readonly byScheme = new Map<string, Notifier>();

  constructor(entries: Iterable<readonly [string, Notifier]> = []) {
    for (const [scheme, notifier] of entries) this.set(scheme, notifier);
  }

  set(scheme: string, notifier: Notifier): this {
    this.byScheme.set(scheme.toLowerCase(), notifier);
    return this;
  }

  get(scheme: string): Notifier | undefined {
    return this.byScheme.get(scheme.toLowerCase());
  }

  schemes(): string[] {
    return [...this.byScheme.keys()];
  }

  /** The notifier for an action URL, or why there is none. */
  resolve(action: string): { readonly notifier: Notifier } | { readonly error: string } {
    const scheme = schemeOf(action);
    if (!scheme) return { error: 'the action is not a URL (no scheme)' };
    const notifier = this.byScheme.get(scheme);
    if (notifier) return { notifier };
    const known = (SUPPORTED_SCHEMES as readonly string[]).includes(scheme);
    return { error: known ? `no notifier is configured for ${scheme}: actions` : `unknown action scheme ${JSON.stringify(scheme)} (supported: ${SUPPORTED_SCHEMES.join(', ')})` };
  }
}
