/**
 * The RabbitMQ transport for OpenStack notifications: consumes the oslo
 * notification queues, hands the messages to a handler in batches, acknowledges
 * them only once the handler's promise resolved, dead-letters poison messages,
 * and survives broker restarts and dropped connections without losing anything.
 * The wire format and the topology are described in README.md beside this file.
 *
 * Delivery guarantee: at least once. A message is acked only after the handler
 * resolved for the batch that held it (and, for a poison message, after the
 * broker confirmed its copy in the dead-letter queue); whatever was delivered on
 * a channel that died is left to the broker, which redelivers it with the
 * `redelivered` flag. The handler deduplicates (by oslo's message_id).
 */
import { connect as connectManager, type AmqpConnectionManager, type ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DEFAULT_DEAD_LETTER_QUEUE, DEFAULT_EXCHANGES, DEFAULT_TOPICS, OSLO_PRIORITIES,
  ensureTopology, notificationQueues, type TopologyPlan,
} from './topology.js';

export interface BusMessage {
  /** The raw AMQP body: usually the oslo envelope's JSON, `{"oslo.version": "2.0", "oslo.message": "<json>"}`. */
  readonly body: Buffer;
  readonly exchange: string;
  readonly routingKey: string;
  /** The queue it was consumed from. */
  readonly queue: string;
  /** Set by the broker on a second or later delivery of the same message. */
  readonly redelivered: boolean;
  readonly headers: Readonly<Record<string, unknown>>;
}

/** One outcome per message, in the batch's order: `null` → processed (acked); `{deadLetter}` → dead-lettered with that reason, then acked. */
export type Outcome = null | { readonly deadLetter: string };

/**
 * Processes a batch and makes its results durable before resolving. Rejecting
 * (the store is down, say) leaves the whole batch unacknowledged: it is requeued
 * after a back-off and delivered again.
 */
export type BatchHandler = (messages: readonly BusMessage[]) => Promise<readonly Outcome[]>;

export interface NotificationConsumerOptions {
  /** `amqp://user:pass@host:5672/vhost`; several brokers are tried in turn. */
  readonly url: string | readonly string[];
  /** Exchanges to bind the queues to (Ceilometer's `notification_control_exchanges`). */
  readonly exchanges: readonly string[];
  /** oslo notification topics (`[oslo_messaging_notifications] topics`). */
  readonly topics: readonly string[];
  /** Priorities consumed; the queues are `<topic>.<priority>`. */
  readonly priorities: readonly string[];
  /** Durability of the exchanges and queues that have to be created: must match the services' `amqp_durable_queues`. */
  readonly durable: boolean;
  /** Unacknowledged deliveries per queue consumer (basic.qos, per consumer). */
  readonly prefetch: number;
  /** Most messages handed to the handler at once. */
  readonly batchSize: number;
  /** How long a batch waits to fill up once its first message arrived. */
  readonly batchWaitMs: number;
  readonly deadLetterQueue: string;
  /** Shown by `rabbitmqctl list_connections client_properties` and the management UI. */
  readonly connectionName: string;
  readonly heartbeatSeconds: number;
  /** Reconnection back-off: first delay, doubled after each failed attempt up to the max. */
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  /** Back-off after a handler failure, doubled while it keeps failing. */
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
  log(line: string): void;
}

export type NotificationConsumerConfig = Partial<NotificationConsumerOptions> & Pick<NotificationConsumerOptions, 'url'>;

export const CONSUMER_DEFAULTS: Omit<NotificationConsumerOptions, 'url'> = {
  exchanges: DEFAULT_EXCHANGES,
  topics: DEFAULT_TOPICS,
  priorities: OSLO_PRIORITIES,
  durable: false,
  prefetch: 2000,
  batchSize: 1000,
  batchWaitMs: 50,
  deadLetterQueue: DEFAULT_DEAD_LETTER_QUEUE,
  // which process holds a connection, in the broker's connection list
  connectionName: `tally-collector@${hostname()}:${process.pid}`,
  // a batch meeting thousands of new resources can hold the event loop for seconds (PGlite runs on it)
  heartbeatSeconds: 30,
  reconnectMinMs: 500,
  reconnectMaxMs: 30_000,
  retryMinMs: 1000,
  retryMaxMs: 60_000,
  log: (line) => console.log(line),
};

export interface ConsumerStats {
  readonly connected: boolean;
  /** A channel is open and consuming. */
  readonly consuming: boolean;
  /** The last handler call failed and it has not succeeded since. */
  readonly handlerFailing: boolean;
  /** Deliveries received (redeliveries included). */
  readonly consumed: number;
  /** Of which the broker flagged as redelivered. */
  readonly redelivered: number;
  /** Acknowledged after the handler resolved (dead-lettered ones included). */
  readonly acked: number;
  readonly deadLettered: number;
  /** Nacked back to their queue after a handler failure. */
  readonly requeued: number;
  /** Unacknowledged when their channel died: the broker redelivers them. */
  readonly abandoned: number;
  readonly handlerFailures: number;
  readonly batches: number;
  readonly reconnects: number;
  /** Received and waiting for the handler. */
  readonly buffered: number;
  /** Deliveries per queue. */
  readonly queues: Readonly<Record<string, number>>;
}

/** Everything consumed on one AMQP channel; delivery tags mean nothing outside it. */
class Session {
  alive = true;
  readonly buffer: ConsumeMessage[] = [];
  /** When the oldest buffered message arrived. */
  oldestAt = 0;
  readonly queueByTag = new Map<string, string>();
  constructor(readonly channel: ConfirmChannel, readonly seq: number) {}
}

class StoppedError extends Error {}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function validOutcomes(outcomes: unknown, n: number): readonly Outcome[] {
  if (!Array.isArray(outcomes) || outcomes.length !== n) {
    throw new TypeError(`the handler returned ${Array.isArray(outcomes) ? outcomes.length : typeof outcomes} outcomes for ${n} messages`);
  }
  for (const o of outcomes) {
    if (o !== null && (typeof o !== 'object' || typeof (o as { deadLetter?: unknown }).deadLetter !== 'string')) {
      throw new TypeError('an outcome is neither null nor {deadLetter: string}');
    }
  }
  return outcomes as readonly Outcome[];
}

export class NotificationConsumer {
  readonly options: NotificationConsumerOptions;
  private readonly queueNames: readonly string[];
  private manager: AmqpConnectionManager | undefined;
  private wrapper: ChannelWrapper | undefined;
  private session: Session | undefined;
  private sessionSeq = 0;
  private stopping = false;
  private stopPromise: Promise<void> | undefined;
  private readonly stopSignal = new AbortController();
  private pumpDone: Promise<void> = Promise.resolve();
  private wakeup: (() => void) | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private recoveryTimer: NodeJS.Timeout | undefined;
  private settingUp = false;
  private lastSetupError: string | undefined;
  private firstConsuming: { promise: Promise<void>; resolve: () => void };
  private everConnected = false;
  private linkDownLogged = false;
  private retryDelayMs: number;
  private recoveryDelayMs: number;
  private counters = { consumed: 0, redelivered: 0, acked: 0, deadLettered: 0, requeued: 0, abandoned: 0, handlerFailures: 0, batches: 0, reconnects: 0 };
  private perQueue = new Map<string, number>();
  private handlerFailing = false;

  constructor(private readonly handler: BatchHandler, config: NotificationConsumerConfig) {
    const o: NotificationConsumerOptions = { ...CONSUMER_DEFAULTS, ...config };
    for (const k of ['prefetch', 'batchSize'] as const) {
      if (!Number.isInteger(o[k]) || o[k] < 1) throw new RangeError(`${k} must be a positive integer`);
    }
    if (o.prefetch > 65535) throw new RangeError('prefetch must be at most 65535');
    if (o.exchanges.length === 0) throw new RangeError('no exchange to consume from');
    this.options = o;
    this.queueNames = notificationQueues(o.topics, o.priorities);
    if (this.queueNames.length === 0) throw new RangeError('no queue to consume: topics and priorities must not be empty');
    if (this.queueNames.includes(o.deadLetterQueue)) throw new RangeError('the dead-letter queue cannot be one of the consumed queues');
    this.retryDelayMs = o.retryMinMs;
    this.recoveryDelayMs = o.reconnectMinMs;
    let resolve: () => void = () => undefined;
    const promise = new Promise<void>((r) => {
      resolve = r;
    });
    this.firstConsuming = { promise, resolve };
  }

  /** The queues consumed, `<topic>.<priority>`. */
  get queues(): readonly string[] {
    return this.queueNames;
  }

  get topology(): TopologyPlan {
    const o = this.options;
    return { exchanges: o.exchanges, queues: this.queueNames, durable: o.durable, deadLetterQueue: o.deadLetterQueue };
  }

  /**
   * Connects and starts consuming. Resolves once the first channel consumes
   * (or on stop()); while the broker is unreachable it keeps retrying in the background.
   */
  start(): Promise<void> {
    if (this.manager) throw new Error('NotificationConsumer already started');
    const o = this.options;
    const urls = typeof o.url === 'string' ? [o.url] : [...o.url];
    const manager = connectManager(urls, {
      heartbeatIntervalInSeconds: o.heartbeatSeconds,
      reconnectTimeInSeconds: o.reconnectMinMs / 1000,
      connectionOptions: { clientProperties: { connection_name: o.connectionName } },
    });
    this.manager = manager;
    manager.on('connect', () => {
      manager.reconnectTimeInSeconds = o.reconnectMinMs / 1000;
      if (this.everConnected) {
        this.counters.reconnects += 1;
        o.log(`amqp: reconnected (${this.counters.reconnects} reconnection(s) so far)`);
      } else {
        o.log(`amqp: connected as ${o.connectionName}`);
      }
      this.everConnected = true;
      this.linkDownLogged = false;
    });
    manager.on('disconnect', ({ err }) => {
      if (this.stopping) return;
      o.log(`amqp: connection lost (${errorText(err)}); reconnecting`);
      this.linkDownLogged = true;
    });
    manager.on('connectFailed', ({ err }) => {
      manager.reconnectTimeInSeconds = Math.min(manager.reconnectTimeInSeconds * 2, o.reconnectMaxMs / 1000);
      if (this.stopping || this.linkDownLogged) return;
      this.linkDownLogged = true;
      o.log(`amqp: cannot connect (${errorText(err)}); retrying with back-off up to ${o.reconnectMaxMs / 1000}s`);
    });
    manager.on('blocked', ({ reason }) => o.log(`amqp: the broker blocked the connection (${reason})`));
    manager.on('unblocked', () => o.log('amqp: the broker unblocked the connection'));
    const wrapper = manager.createChannel({
      name: o.connectionName,
      confirm: true,
      setup: (channel: ConfirmChannel) => this.setup(channel),
    });
    wrapper.on('error', (err: unknown) => o.log(`amqp: channel error: ${errorText(err)}`));
    this.wrapper = wrapper;
    this.pumpDone = this.pump();
    return this.firstConsuming.promise;
  }

  /** Stops consuming, waits for the batch in hand to be settled, closes the connection. Buffered, unhandled deliveries go back to the broker. */
  stop(): Promise<void> {
    this.stopPromise ??= this.doStop();
    return this.stopPromise;
  }

  stats(): ConsumerStats {
    const s = this.session;
    return {
      connected: this.manager?.isConnected() ?? false,
      consuming: !!s?.alive && !this.stopping,
      handlerFailing: this.handlerFailing,
      ...this.counters,
      buffered: s?.alive ? s.buffer.length : 0,
      queues: Object.fromEntries(this.perQueue),
    };
  }

  private async doStop(): Promise<void> {
    this.stopping = true;
    this.stopSignal.abort();
    if (this.recoveryTimer) clearTimeout(this.recoveryTimer);
    const s = this.session;
    if (s?.alive) {
      await Promise.all([...s.queueByTag.keys()].map((tag) => s.channel.cancel(tag).catch(() => undefined)));
    }
    this.wake();
    await this.pumpDone;
    const { wrapper, manager } = this;
    if (wrapper) await wrapper.close().catch(() => undefined);
    if (manager) await manager.close().catch(() => undefined);
    this.firstConsuming.resolve();
  }

  /** Runs on every new channel (every connection): topology, qos, consumers. */
  private async setup(channel: ConfirmChannel): Promise<void> {
    const o = this.options;
    const model = this.manager?.connection;
    if (this.stopping || !model) return;
    this.settingUp = true;
    let s: Session | undefined;
    try {
      const report = await ensureTopology(model, this.topology);
      if (report.createdExchanges.length || report.createdQueues.length) {
        o.log(`amqp: created ${[...report.createdExchanges.map((x) => `exchange ${x}`), ...report.createdQueues.map((q) => `queue ${q}`)].join(', ')}`);
      }
      await channel.prefetch(o.prefetch, false);
      s = new Session(channel, ++this.sessionSeq);
      const session = s;
      channel.on('close', () => this.onChannelClosed(session));
      this.session = session;
      for (const q of this.queueNames) {
        const consumerTag = `${o.connectionName}.${session.seq}.${q}`;
        session.queueByTag.set(consumerTag, q);
        await channel.consume(q, (msg) => (msg ? this.onDelivery(session, msg) : this.onCancelled(session, q)), { noAck: false, consumerTag });
      }
      if (this.stopping) return;
      this.recoveryDelayMs = o.reconnectMinMs;
      this.lastSetupError = undefined;
      o.log(`amqp: consuming ${this.queueNames.length} queue(s) bound to ${o.exchanges.length} exchange(s), prefetch ${o.prefetch}`);
      this.firstConsuming.resolve();
    } catch (err) {
      if (s?.alive) channel.close().catch(() => undefined);
      if (!this.stopping) {
        const text = errorText(err);
        if (text !== this.lastSetupError) o.log(`amqp: setting up the channel failed (${text}); retrying with back-off`);
        this.lastSetupError = text;
        this.scheduleRecovery(true);
      }
    } finally {
      this.settingUp = false;
      this.wake();
    }
  }

  private onDelivery(s: Session, msg: ConsumeMessage): void {
    if (!s.alive) return;
    const c = this.counters;
    c.consumed += 1;
    if (msg.fields.redelivered) c.redelivered += 1;
    const q = s.queueByTag.get(msg.fields.consumerTag) ?? '';
    this.perQueue.set(q, (this.perQueue.get(q) ?? 0) + 1);
    const n = s.buffer.push(msg);
    if (n === 1) s.oldestAt = Date.now();
    if (this.wakeup && (n === 1 || n >= this.options.batchSize)) this.wake();
  }

  private onCancelled(s: Session, queue: string): void {
    if (this.stopping || !s.alive) return;
    this.options.log(`amqp: the broker cancelled the consumer of ${queue} (queue deleted?); starting over on a new connection`);
    s.channel.close().catch(() => undefined); // its unacknowledged deliveries go back to their queues
  }

  private onChannelClosed(s: Session): void {
    s.alive = false;
    if (s.buffer.length) this.counters.abandoned += s.buffer.length;
    s.buffer.length = 0;
    this.wake();
    if (!this.stopping) this.scheduleRecovery(false);
  }

  /**
   * amqp-connection-manager opens a new channel only after a new connection. When
   * the channel alone died (a channel error, a cancelled consumer, a failed setup)
   * the connection is recycled after a delay, unless a new channel is consuming by then.
   */
  private scheduleRecovery(grow: boolean): void {
    if (this.recoveryTimer || this.stopping) return;
    const delay = this.recoveryDelayMs;
    if (grow) this.recoveryDelayMs = Math.min(this.recoveryDelayMs * 2, this.options.reconnectMaxMs);
    this.recoveryTimer = setTimeout(() => {
      this.recoveryTimer = undefined;
      if (this.stopping || this.settingUp || this.session?.alive) return;
      if (this.manager?.isConnected()) this.manager.reconnect();
    }, delay);
    this.recoveryTimer.unref();
  }

  private wake(): void {
    const w = this.wakeup;
    this.wakeup = undefined;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    w?.();
  }

  private idle(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeup = resolve;
      if (ms !== undefined) this.idleTimer = setTimeout(() => this.wake(), ms);
    });
  }

  /** The single loop that hands batches to the handler, one at a time. */
  private async pump(): Promise<void> {
    const o = this.options;
    while (!this.stopping) {
      const s = this.session;
      if (!s || !s.alive || s.buffer.length === 0) {
        await this.idle();
        continue;
      }
      if (s.buffer.length < o.batchSize) {
        const waitMs = s.oldestAt + o.batchWaitMs - Date.now();
        if (waitMs > 0) {
          await this.idle(waitMs);
          continue;
        }
      }
      const batch = s.buffer.splice(0, o.batchSize);
      try {
        await this.processBatch(s, batch);
      } catch (err) {
        if (!(err instanceof StoppedError)) o.log(`amqp: unexpected error settling a batch: ${errorText(err)}`);
      }
    }
  }

  private async processBatch(s: Session, batch: ConsumeMessage[]): Promise<void> {
    const o = this.options;
    const c = this.counters;
    const messages: BusMessage[] = batch.map((m) => ({
      body: m.content,
      exchange: m.fields.exchange,
      routingKey: m.fields.routingKey,
      queue: s.queueByTag.get(m.fields.consumerTag) ?? '',
      redelivered: m.fields.redelivered,
      headers: (m.properties.headers ?? {}) as Record<string, unknown>,
    }));
    const last = batch[batch.length - 1];
    let outcomes: readonly Outcome[];
    try {
      outcomes = validOutcomes(await this.handler(messages), messages.length);
    } catch (err) {
      c.handlerFailures += 1;
      if (!this.handlerFailing) {
        this.handlerFailing = true;
        o.log(`amqp: the handler failed (${errorText(err)}); pausing consumption, retrying with back-off up to ${o.retryMaxMs / 1000}s`);
      }
      const delay = this.retryDelayMs;
      this.retryDelayMs = Math.min(this.retryDelayMs * 2, o.retryMaxMs);
      await sleep(delay, undefined, { signal: this.stopSignal.signal }).catch(() => undefined);
      this.settle(s, batch.length, () => s.channel.nack(last, true, true), 'requeued');
      return;
    }
    if (this.handlerFailing) {
      this.handlerFailing = false;
      o.log(`amqp: the handler works again after ${c.handlerFailures} failure(s) in all`);
    }
    this.retryDelayMs = o.retryMinMs;
    c.batches += 1;
    if (!s.alive) {
      c.abandoned += batch.length;
      return;
    }
    let dead = 0;
    if (outcomes.some((x) => x !== null)) {
      try {
        dead = await this.deadLetter(s, batch, outcomes);
      } catch (err) {
        if (!s.alive) {
          c.abandoned += batch.length;
          return;
        }
        o.log(`amqp: dead-lettering failed (${errorText(err)}); requeueing the batch`);
        this.settle(s, batch.length, () => s.channel.nack(last, true, true), 'requeued');
        return;
      }
    }
    if (this.settle(s, batch.length, () => s.channel.ack(last, true), 'acked')) c.deadLettered += dead;
  }

  /**
   * Acks or nacks a whole batch with one `multiple` frame: the batch is the oldest
   * unsettled run of deliveries on its channel, so "all up to the last" is exactly it.
   */
  private settle(s: Session, n: number, op: () => void, counter: 'acked' | 'requeued'): boolean {
    if (s.alive) {
      try {
        op();
        this.counters[counter] += n;
        return true;
      } catch {
        // The channel closed in between: the broker redelivers.
      }
    }
    this.counters.abandoned += n;
    return false;
  }

  /** Publishes the poison messages of a batch to the dead-letter queue and waits for the broker's confirms. */
  private async deadLetter(s: Session, batch: readonly ConsumeMessage[], outcomes: readonly Outcome[]): Promise<number> {
    const o = this.options;
    const ch = s.channel;
    // The queue was there at setup; should it have been deleted since, this closes
    // the channel (404) and the messages are redelivered once it is re-created,
    // rather than published into nowhere.
    await ch.checkQueue(o.deadLetterQueue);
    const confirms: Promise<void>[] = [];
    batch.forEach((m, i) => {
      const outcome = outcomes[i];
      if (!outcome) return;
      const p = m.properties;
      const options: Options.Publish = {
        persistent: true,
        headers: {
          ...(p.headers ?? {}),
          'x-tally-reason': outcome.deadLetter.slice(0, 2000),
          'x-tally-exchange': m.fields.exchange,
          'x-tally-routing-key': m.fields.routingKey,
          'x-tally-queue': s.queueByTag.get(m.fields.consumerTag) ?? '',
          'x-tally-dead-lettered-at': new Date().toISOString(),
        },
      };
      if (p.contentType !== undefined) options.contentType = p.contentType as string;
      if (p.contentEncoding !== undefined) options.contentEncoding = p.contentEncoding as string;
      if (p.messageId !== undefined) options.messageId = p.messageId as string;
      if (p.timestamp !== undefined) options.timestamp = p.timestamp as number;
      if (p.type !== undefined) options.type = p.type as string;
      if (p.appId !== undefined) options.appId = p.appId as string;
      confirms.push(
        new Promise<void>((resolve, reject) => {
          ch.publish('', o.deadLetterQueue, m.content, options, (err: unknown) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve()));
        }),
      );
    });
    await Promise.all(confirms);
    return confirms.length;
  }
}
