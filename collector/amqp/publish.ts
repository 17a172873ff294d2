/**
 * Publishes notifications the way an OpenStack service's oslo.messaging notifier
 * does (README.md beside this file): oslo-enveloped JSON, persistent, to a topic
 * exchange with routing key `<topic>.<priority>`, with publisher confirms. Meant
 * for tests, benchmarks and tools: it does not reconnect.
 */
import { randomUUID } from 'node:crypto';
import { connect, type ChannelModel, type ConfirmChannel, type Options } from 'amqplib';

export interface OsloNotificationFields {
  readonly eventType: string;
  readonly payload: unknown;
  /** e.g. `compute.host1` */
  readonly publisherId?: string;
  /** oslo writes it upper-case: INFO, SAMPLE, ERROR, … */
  readonly priority?: string;
  readonly messageId?: string;
  readonly timestamp?: Date;
  /** The request context, packed as `_context_<key>` keys. */
  readonly context?: Readonly<Record<string, unknown>>;
}

/** oslo's timeutils.utcnow() printed by str(): `2024-01-01 00:00:10.123456`. */
function osloTimestamp(d: Date): string {
  return `${d.toISOString().replace('T', ' ').replace('Z', '')}000`;
}

/** The message an oslo notifier builds (notify/notifier.py `_notify` + amqpdriver `_send`). */
export function osloNotification(f: OsloNotificationFields): Record<string, unknown> {
  const msg: Record<string, unknown> = {
    message_id: f.messageId ?? randomUUID(),
    publisher_id: f.publisherId ?? 'tally.test',
    event_type: f.eventType,
    priority: (f.priority ?? 'INFO').toUpperCase(),
    payload: f.payload,
    timestamp: osloTimestamp(f.timestamp ?? new Date()),
  };
  for (const [k, v] of Object.entries(f.context ?? {})) msg[`_context_${k}`] = v;
  msg._unique_id = randomUUID().replace(/-/g, '');
  return msg;
}

/** The 2.0 envelope (the `messagingv2` driver): `{"oslo.version": "2.0", "oslo.message": "<json>"}`. */
export function osloEnvelope(message: Readonly<Record<string, unknown>>): Buffer {
  return osloEnvelopeOf(JSON.stringify(message));
}

/** The same envelope around a message already in JSON (what the agent's spool keeps). */
export function osloEnvelopeOf(messageJson: string): Buffer {
  return Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': messageJson }));
}

export interface PublishItem {
  readonly exchange: string;
  readonly routingKey: string;
  readonly body: Buffer;
  readonly headers?: Readonly<Record<string, unknown>>;
}

export interface PublisherOptions {
  readonly connectionName?: string;
  /** Most unconfirmed messages in flight (publishAll). */
  readonly window?: number;
  /**
   * Declare, before the first message to each (exchange, routing key), the topic
   * exchange and the queue named after the routing key, bound with it, exactly as
   * oslo's notifier does (`_publish_and_creates_default_queue`). Like oslo's, these
   * are plain declarations: they fail with PRECONDITION_FAILED when what exists
   * has other properties.
   */
  readonly declareLikeOslo?: boolean;
  /** oslo's `amqp_durable_queues` for those declarations. */
  readonly durable?: boolean;
}

/** The AMQP properties kombu gives an oslo notification. */
const OSLO_PROPERTIES: Options.Publish = { contentType: 'application/json', contentEncoding: 'utf-8', persistent: true };

export class NotificationPublisher {
  private readonly declared = new Set<string>();
  private outstanding = 0;
  private failure: Error | undefined;
  private waiters: (() => void)[] = [];
  private closed = false;

  private constructor(
    private readonly model: ChannelModel,
    private readonly channel: ConfirmChannel,
    private readonly options: PublisherOptions,
  ) {
    channel.on('error', (err: Error) => {
      this.failure ??= err;
      this.release();
    });
    channel.on('close', () => {
      this.failure ??= new Error('the publishing channel closed');
      this.release();
    });
  }

  static async connect(url: string, options: PublisherOptions = {}): Promise<NotificationPublisher> {
    const model = await connect(url, { clientProperties: { connection_name: options.connectionName ?? 'tally-publisher' } });
    model.on('error', () => undefined); // surfaces through the channel
    const channel = await model.createConfirmChannel();
    return new NotificationPublisher(model, channel, options);
  }

  /** Publishes one message and waits for the broker's confirm. */
  async publish(item: PublishItem): Promise<void> {
    await this.publishAll([item]);
  }

  /** Publishes everything, keeping at most `window` messages unconfirmed; resolves once all are confirmed. */
  async publishAll(items: Iterable<PublishItem> | AsyncIterable<PublishItem>): Promise<number> {
    const window = this.options.window ?? 5000;
    let n = 0;
    for await (const item of items) {
      if (this.failure) throw this.failure;
      if (this.options.declareLikeOslo) await this.declareLikeOslo(item.exchange, item.routingKey);
      while (this.outstanding >= window && !this.failure) await this.waitForRoom();
      if (this.failure) throw this.failure;
      this.outstanding += 1;
      const props: Options.Publish = item.headers ? { ...OSLO_PROPERTIES, headers: item.headers } : OSLO_PROPERTIES;
      const room = this.channel.publish(item.exchange, item.routingKey, item.body, props, (err: unknown) => {
        this.outstanding -= 1;
        if (err) this.failure ??= err instanceof Error ? err : new Error(`the broker refused a message: ${String(err)}`);
        if (this.outstanding < window) this.release();
      });
      n += 1;
      if (!room) await this.drained();
    }
    while (this.outstanding > 0 && !this.failure) await this.waitForRoom();
    if (this.failure) throw this.failure;
    return n;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.model.close().catch(() => undefined);
  }

  /** The socket's write buffer is full: wait until it drains (or the channel dies). */
  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.channel.off('drain', done);
        this.channel.off('close', done);
        resolve();
      };
      this.channel.on('drain', done);
      this.channel.on('close', done);
    });
  }

  private waitForRoom(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async declareLikeOslo(exchange: string, routingKey: string): Promise<void> {
    const key = `${exchange}\u0000${routingKey}`;
    if (this.declared.has(key)) return;
    const durable = this.options.durable ?? false;
    await this.channel.assertExchange(exchange, 'topic', { durable, autoDelete: false });
    await this.channel.assertQueue(routingKey, { durable, autoDelete: false, exclusive: false });
    await this.channel.bindQueue(routingKey, exchange, routingKey);
    this.declared.add(key);
  }
}
