/**
 * Publishes the agent's samples as Ceilometer's polling agent does:
 * `telemetry.polling` notifications (priority SAMPLE, publisher
 * `ceilometer.polling`) of at most `batchSize` samples, in oslo's 2.0
 * envelope, to the `ceilometer` exchange with routing key
 * `notifications.sample`, declared as oslo declares them. tally's collector
 * and Ceilometer's own notification agent both take them.
 *
 * Each notification is confirmed by the broker. While the broker cannot be
 * reached (or a confirm does not come), notifications go to the spool, and
 * new ones after them, so that order is kept; once connected again the
 * spool is sent first. A notification the broker may have taken just before
 * the connection failed is sent again: at least once, never silently lost.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { NotificationPublisher, osloEnvelopeOf, osloNotification } from '../../collector/amqp/publish.js';
import { redactedUrl } from '../../collector/amqp/redacted-url.js';
import type { AgentSample } from '../sample.js';
import { meteringMessage } from './metering-message.js';
import { type Spool, samplesIn } from './spool.js';

export interface SamplePublisherOptions {
  readonly url: string;
  readonly spool: Spool;
  /** oslo's control_exchange for Ceilometer (default `ceilometer`) */
  readonly exchange?: string;
  /** oslo's notification topic (default `notifications`); the routing key is `<topic>.sample` */
  readonly topic?: string;
  /** oslo's amqp_durable_queues: how the exchange and queue are declared when missing (default false) */
  readonly durable?: boolean;
  /** samples per notification (Ceilometer's [polling] batch_size, default 50) */
  readonly batchSize?: number;
  readonly log?: (line: string) => void;
}

export interface PublisherStats {
  connected: boolean;
  /** samples confirmed by the broker */
  published: number;
  /** samples written to the spool */
  spooled: number;
  /** samples sent from the spool */
  replayed: number;
}

const RETRY_MS = [1_000, 2_000, 5_000, 10_000, 30_000];

export class SamplePublisher {
  private broker: NotificationPublisher | null = null;
  private connecting: Promise<void> | null = null;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;
  /** one send at a time: notifications leave in the order they were made */
  private queue: Promise<void> = Promise.resolve();
  readonly stats: PublisherStats = { connected: false, published: 0, spooled: 0, replayed: 0 };
  private readonly exchange: string;
  private readonly routingKey: string;

  constructor(private readonly o: SamplePublisherOptions) {
    this.exchange = o.exchange ?? 'ceilometer';
    this.routingKey = `${o.topic ?? 'notifications'}.sample`;
  }

  /** Connects in the background; samples published before then are spooled. */
  start(): void {
    void this.connect();
  }

  /** Sends (or spools) the samples of a poll; resolves once they are confirmed or durable in the spool. */
  publish(samples: readonly AgentSample[]): Promise<void> {
    if (samples.length === 0) return this.queue;
    const size = this.o.batchSize ?? 50;
    const lines: string[] = [];
    for (let i = 0; i < samples.length; i += size) {
      const batch = samples.slice(i, i + size).map(meteringMessage);
      lines.push(JSON.stringify(osloNotification({ eventType: 'telemetry.polling', priority: 'SAMPLE', publisherId: 'ceilometer.polling', payload: { samples: batch }, messageId: randomUUID() })));
    }
    const run = this.queue.then(() => this.send(lines, samples.length));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.queue;
    await this.broker?.close();
    this.broker = null;
    this.stats.connected = false;
  }

  private async send(lines: readonly string[], samples: number): Promise<void> {
    if (this.broker && this.o.spool.empty) {
      try {
        await this.broker.publishAll(lines.map((l) => this.item(l)));
        this.stats.published += samples;
        return;
      } catch (err) {
        this.lost(err as Error);
      }
    }
    this.o.spool.append(lines);
    this.stats.spooled += samples;
  }

  private item(line: string): { exchange: string; routingKey: string; body: Buffer } {
    return { exchange: this.exchange, routingKey: this.routingKey, body: osloEnvelopeOf(line) };
  }

  private lost(err: Error): void {
    if (!this.broker) return;
    this.o.log?.(`agent: lost the broker (${err.message}); samples go to the spool until it is back`);
    void this.broker.close();
    this.broker = null;
    this.stats.connected = false;
    this.retry();
  }

  private retry(): void {
    if (this.closed || this.retryTimer) return;
    const delay = RETRY_MS[Math.min(this.failures, RETRY_MS.length - 1)];
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, delay);
    this.retryTimer.unref();
  }

  private connect(): Promise<void> {
    this.connecting ??= (async () => {
      try {
        const broker = await NotificationPublisher.connect(this.o.url, {
          connectionName: `tally-agent@${hostname()}:${process.pid}`,
          declareLikeOslo: true,
          durable: this.o.durable ?? false,
          window: 200,
        });
        if (this.closed) {
          await broker.close();
          return;
        }
        if (this.failures > 0) this.o.log?.(`agent: the broker is back (${redactedUrl(this.o.url)})`);
        this.failures = 0;
        this.broker = broker;
        this.stats.connected = true;
        // the spool first, in order, before anything new (sends wait in the same queue)
        const drain = this.queue.then(() => this.drain());
        this.queue = drain.catch(() => undefined);
      } catch (err) {
        if (this.failures === 0) this.o.log?.(`agent: cannot reach the broker at ${redactedUrl(this.o.url)} (${(err as Error).message}); samples go to the spool, retrying`);
        this.failures++;
        this.retry();
      } finally {
        this.connecting = null;
      }
    })();
    return this.connecting;
  }

  /** Sends what the spool holds, oldest first, a batch at a time, each batch marked sent once confirmed. */
  private async drain(): Promise<void> {
    for (;;) {
      const broker = this.broker;
      if (!broker) return;
      const batch = this.o.spool.take(100);
      if (!batch) return;
      try {
        await broker.publishAll(batch.entries.map((l) => this.item(l)));
      } catch (err) {
        this.lost(err as Error);
        return;
      }
      batch.commit();
      for (const l of batch.entries) this.stats.replayed += samplesIn(l);
    }
  }
}
