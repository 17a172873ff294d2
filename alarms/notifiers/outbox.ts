/**
 * Delivers the durable notification outbox (alarm_outbox, SCHEMA.md): the
 * evaluator and the API only enqueue, in the transaction of the state change;
 * this worker takes due entries, hands each to the notifier of its scheme and
 * records every attempt as an 'action' line of the alarm's history.
 *
 * At least once: an entry leaves the outbox only after it was delivered, or
 * given up (a permanent failure, or maxAttempts failures); anything else is
 * rescheduled with exponential backoff. A crash between delivery and its
 * record means one more delivery after restart, never none. One worker per
 * database: entries are not locked against other processes.
 */
import { randomUUID } from 'node:crypto';
import type { AlarmChange } from '../model.js';
import type { AlarmStore, OutboxEntry } from '../store/alarm-store.js';
import { scrubAction } from './action-url.js';
import { type DeliveryResult, type Notifiers, failed } from './notifier.js';
import { pythonJson } from '../../tsdb/api/python-json.js';

export interface OutboxWorkerOptions {
  readonly store: AlarmStore;
  readonly notifiers: Notifiers;
  /** deliveries at once (default 8) */
  readonly concurrency?: number;
  /** attempts before an entry is given up (default 10) */
  readonly maxAttempts?: number;
  /** delay after the first failure, doubled after each next one (default 2 s) */
  readonly backoffBaseSeconds?: number;
  /** longest delay between attempts (default 300 s) */
  readonly backoffMaxSeconds?: number;
  /** how often the outbox is looked at when nothing wakes the worker (default 1 s) */
  readonly pollMs?: number;
  /** how long stop() lets deliveries in flight finish before interrupting them (default 15 s) */
  readonly stopTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

export interface OutboxStats {
  /** notifications delivered since start */
  readonly delivered: number;
  /** attempts that did not deliver (each retry, and each final failure) */
  readonly failedAttempts: number;
  /** notifications given up */
  readonly abandoned: number;
  readonly inFlight: number;
}

export type Outcome = 'delivered' | 'retrying' | 'abandoned';

interface InFlight {
  readonly controller: AbortController;
  readonly task: Promise<void>;
}

const nowUs = (): number => Date.now() * 1000;
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Exponential backoff with jitter: after attempt n, between half and all of min(max, base·2^(n-1)) seconds. */
export function backoffSeconds(attempt: number, baseSeconds: number, maxSeconds: number, retryAfterSeconds = 0): number {
  const full = Math.min(maxSeconds, baseSeconds * 2 ** Math.max(0, attempt - 1));
  const jittered = full / 2 + (Math.random() * full) / 2;
  return Math.min(maxSeconds, Math.max(jittered, retryAfterSeconds));
}

export class OutboxWorker {
  private readonly store: AlarmStore;
  private readonly notifiers: Notifiers;
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly backoffBase: number;
  private readonly backoffMax: number;
  private readonly pollMs: number;
  private readonly stopTimeoutMs: number;
  private readonly log: (line: string) => void;

  private readonly inFlight = new Map<number, InFlight>();
  /** entries whose attempt could not be recorded: left alone until then (ms), not retried in a tight loop */
  private readonly parked = new Map<number, number>();
  private readonly counts = { delivered: 0, failedAttempts: 0, abandoned: 0 };
  private running = false;
  private loop: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private woken = false;
  /** ms: the earliest retry this worker scheduled and has not looked for yet */
  private retryAt = Infinity;

  constructor(options: OutboxWorkerOptions) {
    this.store = options.store;
    this.notifiers = options.notifiers;
    this.concurrency = Math.max(1, options.concurrency ?? 8);
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 10);
    this.backoffBase = options.backoffBaseSeconds ?? 2;
    this.backoffMax = options.backoffMaxSeconds ?? 300;
    this.pollMs = Math.max(1, options.pollMs ?? 1000);
    this.stopTimeoutMs = options.stopTimeoutMs ?? 15_000;
    this.log = options.log ?? (() => undefined);
  }

  start(): void {
    if (this.running || this.stopping) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Look at the outbox now (new notifications were enqueued). */
  kick(): void {
    this.woken = true;
    this.wake?.();
  }

  /**
   * Stops taking entries, lets the deliveries in flight finish for up to
   * stopTimeoutMs, then interrupts the rest (they stay in the outbox, due at
   * once). Resolves once nothing more will be written to the store.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  stats(): OutboxStats {
    return { ...this.counts, inFlight: this.inFlight.size };
  }

  private async shutdown(): Promise<void> {
    this.running = false;
    this.kick();
    await this.loop;
    const settled = Promise.allSettled([...this.inFlight.values()].map((f) => f.task));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([settled.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), this.stopTimeoutMs)))]);
    clearTimeout(timer);
    if (!timedOut) return;
    this.log(`outbox: interrupting ${this.inFlight.size} deliveries still in flight after ${this.stopTimeoutMs / 1000} s`);
    for (const f of this.inFlight.values()) f.controller.abort();
    // notifiers honour the signal at once; a stuck one does not hold the shutdown for long
    await Promise.race([settled, new Promise((r) => setTimeout(r, 2_000).unref())]);
  }

  private async run(): Promise<void> {
    while (this.running) {
      let waitMs = this.pollMs;
      try {
        if (this.retryAt <= Date.now()) this.retryAt = Infinity;
        const free = this.concurrency - this.inFlight.size;
        if (free > 0) {
          const now = Date.now();
          for (const [id, until] of this.parked) if (until <= now) this.parked.delete(id);
          // entries in flight are still in the outbox, due: never take one twice
          const due = await this.store.dueNotifications(nowUs(), free, [...this.inFlight.keys(), ...this.parked.keys()]);
          if (!this.running) break;
          for (const entry of due) this.launch(entry);
          if (due.length === 0 && this.inFlight.size === 0 && this.parked.size === 0) {
            // nothing to do: sleep until the next retry, if sooner than the next poll (entries from other processes)
            const next = await this.store.nextDue();
            if (next !== null) waitMs = Math.min(waitMs, Math.max(0, next / 1000 - Date.now()));
          }
        }
        waitMs = Math.min(waitMs, Math.max(0, this.retryAt - Date.now()));
      } catch (err) {
        this.log(`outbox: cannot read the outbox: ${message(err)}`);
      }
      await this.sleep(waitMs);
    }
  }

  /** Sleeps up to `ms`; kick(), a delivery ending or stop() end it early. */
  private sleep(ms: number): Promise<void> {
    if (this.woken || !this.running) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = null;
        this.woken = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private launch(entry: OutboxEntry): void {
    const controller = new AbortController();
    const task = this.attempt(entry, controller.signal)
      .catch((err) => {
        this.parked.set(entry.id, Date.now() + Math.max(this.pollMs, this.backoffBase * 1000));
        this.log(`outbox: notification ${entry.id} of alarm ${entry.alarmId}: cannot record the attempt: ${message(err)}`);
      })
      .finally(() => {
        this.inFlight.delete(entry.id);
        this.kick();
      });
    this.inFlight.set(entry.id, { controller, task });
  }

  private async attempt(entry: OutboxEntry, signal: AbortSignal): Promise<void> {
    const n = entry.notification;
    const attempt = entry.attempts + 1;
    const action = scrubAction(n.action);
    const resolved = this.notifiers.resolve(n.action);
    let result: DeliveryResult;
    if ('error' in resolved) {
      result = failed(resolved.error, false);
    } else {
      try {
        result = await resolved.notifier.deliver(n, signal);
      } catch (err) {
        result = failed(`the notifier failed: ${message(err)}`, true);
      }
    }
    const who = `alarm ${n.alarm_id} (${n.alarm_name}) ${n.previous} → ${n.current}, ${action}`;
    const req = result.requestId ? `, ${result.requestId}` : '';

    if (result.delivered) {
      await this.store.finishNotification(entry.id, this.change(entry, attempt, 'delivered', result.status, null));
      this.counts.delivered++;
      this.log(`outbox: ${who}: delivered on attempt ${attempt}${result.status !== null ? ` (${result.status})` : ''}${req}`);
      return;
    }
    this.counts.failedAttempts++;
    // an attempt cut short by stop() says nothing about the receiver: due again at once, whatever the count
    const interrupted = signal.aborted;
    if (!interrupted && (!result.retryable || attempt >= this.maxAttempts)) {
      await this.store.finishNotification(entry.id, this.change(entry, attempt, 'abandoned', result.status, result.error));
      this.counts.abandoned++;
      const why = result.retryable ? `after ${attempt} attempts` : 'permanent failure';
      this.log(`outbox: ${who}: abandoned (${why}): ${result.error}${req}`);
      return;
    }
    const delay = interrupted ? 0 : backoffSeconds(attempt, this.backoffBase, this.backoffMax, result.retryAfterSeconds);
    const nextMs = Date.now() + delay * 1000;
    await this.store.retryNotification(entry.id, Math.round(nextMs * 1000), result.error, this.change(entry, attempt, 'retrying', result.status, result.error));
    if (!interrupted) this.retryAt = Math.min(this.retryAt, nextMs);
    this.log(`outbox: ${who}: attempt ${attempt} failed: ${result.error}${req}; next attempt in ${delay.toFixed(1)} s`);
  }

  /** The history line of one attempt. */
  private change(entry: OutboxEntry, attempt: number, outcome: Outcome, status: number | null, error: string | null): AlarmChange {
    const n = entry.notification;
    return {
      event_id: randomUUID(),
      alarm_id: entry.alarmId,
      type: 'action',
      detail: pythonJson({ action: scrubAction(n.action), attempt, outcome, status, error, previous: n.previous, current: n.current }),
      user_id: null,
      project_id: null,
      on_behalf_of: entry.projectId,
      severity: n.severity,
      timestamp: nowUs(),
    };
  }
}
