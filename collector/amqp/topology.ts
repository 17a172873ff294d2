/**
 * The RabbitMQ topology of OpenStack notifications, as oslo.messaging's rabbit
 * driver lays it out (see README.md beside this file): one topic exchange per
 * service, one queue per `<topic>.<priority>` bound to every exchange with that
 * same routing key, plus tally's own dead-letter queue.
 *
 * Whatever already exists is used as it is (checked with a passive declare on a
 * throw-away channel, since a failed check closes the channel); only what is
 * missing is created, with oslo's properties so that a later declaration by nova,
 * cinder, … does not fail with PRECONDITION_FAILED.
 */
import { connect, type Channel, type ChannelModel } from 'amqplib';

/** Ceilometer's `[notification] notification_control_exchanges` default (ceilometer/notification.py). */
export const DEFAULT_EXCHANGES: readonly string[] = [
  'nova', 'glance', 'neutron', 'cinder', 'heat', 'keystone', 'sahara', 'trove', 'zaqar', 'swift',
  'ceilometer', 'magnum', 'dns', 'ironic', 'aodh',
];

/** oslo.messaging's `[oslo_messaging_notifications] topics` default. */
export const DEFAULT_TOPICS: readonly string[] = ['notifications'];

/** Every priority a notification listener consumes (oslo_messaging/notify/dispatcher.py PRIORITIES). */
export const OSLO_PRIORITIES: readonly string[] = ['audit', 'debug', 'info', 'warn', 'error', 'critical', 'sample'];

export const DEFAULT_DEAD_LETTER_QUEUE = 'tally.notifications.dead';

export interface TopologyPlan {
  readonly exchanges: readonly string[];
  /** Queue names; each is bound to every exchange with its own name as the routing key. */
  readonly queues: readonly string[];
  /**
   * Durability of the exchanges and queues tally has to create: oslo's
   * `amqp_durable_queues`, which must match the services' setting (false by default).
   */
  readonly durable: boolean;
  /** Always durable; created when missing. */
  readonly deadLetterQueue: string;
}

export interface TopologyReport {
  readonly existingExchanges: readonly string[];
  readonly createdExchanges: readonly string[];
  readonly existingQueues: readonly string[];
  readonly createdQueues: readonly string[];
}

/** `<topic>.<priority>` for every pair, de-duplicated, in a stable order. */
export function notificationQueues(topics: readonly string[], priorities: readonly string[]): string[] {
  const out = new Set<string>();
  for (const t of topics) for (const p of priorities) out.add(`${t}.${p}`);
  return [...out];
}

/** The AMQP reply code carried by an amqplib error (404 NOT_FOUND, 406 PRECONDITION_FAILED, …), if any. */
export function amqpReplyCode(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  const code = (err as { code: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

type Kind = 'exchange' | 'queue';

/** Channels that the broker may close under us: a fresh one is opened whenever the last one died. */
class Scratch {
  private channel: Channel | undefined;
  constructor(private readonly model: ChannelModel) {}

  async get(): Promise<Channel> {
    if (this.channel) return this.channel;
    const ch = await this.model.createChannel();
    ch.on('error', () => undefined); // the rejected operation reports it
    ch.on('close', () => {
      if (this.channel === ch) this.channel = undefined;
    });
    this.channel = ch;
    return ch;
  }

  async close(): Promise<void> {
    const ch = this.channel;
    this.channel = undefined;
    if (ch) await ch.close().catch(() => undefined);
  }
}

async function exists(scratch: Scratch, kind: Kind, name: string): Promise<boolean> {
  const ch = await scratch.get();
  try {
    if (kind === 'exchange') await ch.checkExchange(name);
    else await ch.checkQueue(name);
    return true;
  } catch (err) {
    if (amqpReplyCode(err) === 404) return false;
    throw err;
  }
}

/**
 * Declares `name` unless it exists. A 406 from the declaration means someone
 * declared it in between with other properties: fine as long as it exists now.
 */
async function ensure(scratch: Scratch, kind: Kind, name: string, declare: (ch: Channel) => Promise<unknown>): Promise<boolean> {
  if (await exists(scratch, kind, name)) return false;
  try {
    await declare(await scratch.get());
    return true;
  } catch (err) {
    if (amqpReplyCode(err) === 406 && (await exists(scratch, kind, name))) return false;
    throw err;
  }
}

/** Checks, creates what is missing, binds. Idempotent; run after every (re)connection. */
export async function ensureTopology(model: ChannelModel, plan: TopologyPlan): Promise<TopologyReport> {
  const scratch = new Scratch(model);
  const report = { existingExchanges: [] as string[], createdExchanges: [] as string[], existingQueues: [] as string[], createdQueues: [] as string[] };
  try {
    for (const x of plan.exchanges) {
      const created = await ensure(scratch, 'exchange', x, (ch) => ch.assertExchange(x, 'topic', { durable: plan.durable, autoDelete: false }));
      (created ? report.createdExchanges : report.existingExchanges).push(x);
    }
    for (const q of plan.queues) {
      const created = await ensure(scratch, 'queue', q, (ch) => ch.assertQueue(q, { durable: plan.durable, autoDelete: false, exclusive: false }));
      (created ? report.createdQueues : report.existingQueues).push(q);
    }
    const dlqCreated = await ensure(scratch, 'queue', plan.deadLetterQueue, (ch) =>
      ch.assertQueue(plan.deadLetterQueue, { durable: true, autoDelete: false, exclusive: false }),
    );
    (dlqCreated ? report.createdQueues : report.existingQueues).push(plan.deadLetterQueue);
    const ch = await scratch.get();
    for (const q of plan.queues) for (const x of plan.exchanges) await ch.bindQueue(q, x, q);
  } finally {
    await scratch.close();
  }
  return report;
}

/** Connects, lays out the topology, disconnects: for tools that publish before any consumer ran. */
export async function prepareTopology(url: string, plan: TopologyPlan): Promise<TopologyReport> {
  const model = await connect(url);
  try {
    return await ensureTopology(model, plan);
  } finally {
    await model.close().catch(() => undefined);
  }
}
