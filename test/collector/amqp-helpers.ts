/** Helpers for the tests of collector/amqp against the local RabbitMQ (127.0.0.1:5672, guest/guest). */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'amqplib';

export const AMQP_URL = process.env.TALLY_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672/';

/** A short random id for names that must not collide with other runs. */
export function uid(): string {
  return randomBytes(4).toString('hex');
}

export function rabbitmqctl(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('rabbitmqctl', args, { timeout: 30_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`rabbitmqctl ${args.join(' ')}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

export interface QueueCounts {
  readonly ready: number;
  readonly unacked: number;
  readonly durable: boolean;
}

/** messages_ready / messages_unacknowledged / durable of the queues whose names start with `prefix`, as the broker sees them. */
export async function queueCounts(prefix: string): Promise<Map<string, QueueCounts>> {
  const out = await rabbitmqctl('-q', 'list_queues', '--no-table-headers', 'name', 'messages_ready', 'messages_unacknowledged', 'durable');
  const res = new Map<string, QueueCounts>();
  for (const line of out.split('\n')) {
    const [name, ready, unacked, durable] = line.split('\t');
    if (name?.startsWith(prefix)) res.set(name, { ready: Number(ready), unacked: Number(unacked), durable: durable === 'true' });
  }
  return res;
}

/** Sums of ready and unacknowledged messages over those queues. */
export async function queueTotals(prefix: string, except: string[] = []): Promise<{ ready: number; unacked: number }> {
  let ready = 0;
  let unacked = 0;
  for (const [name, c] of await queueCounts(prefix)) {
    if (except.includes(name)) continue;
    ready += c.ready;
    unacked += c.unacked;
  }
  return { ready, unacked };
}

/** name → {type, durable} of the exchanges whose names start with `prefix`. */
export async function exchangeProps(prefix: string): Promise<Map<string, { type: string; durable: boolean; autoDelete: boolean }>> {
  const out = await rabbitmqctl('-q', 'list_exchanges', '--no-table-headers', 'name', 'type', 'durable', 'auto_delete');
  const res = new Map<string, { type: string; durable: boolean; autoDelete: boolean }>();
  for (const line of out.split('\n')) {
    const [name, type, durable, autoDelete] = line.split('\t');
    if (name?.startsWith(prefix)) res.set(name, { type: type ?? '', durable: durable === 'true', autoDelete: autoDelete === 'true' });
  }
  return res;
}

/** The broker's ids of the connections that announced this `connection_name`. */
export async function connectionPids(connectionName: string): Promise<string[]> {
  const out = await rabbitmqctl('-q', 'list_connections', '--no-table-headers', 'pid', 'client_properties');
  const needle = `{"connection_name","${connectionName}"}`;
  return out.split('\n').filter((l) => l.includes(needle)).map((l) => l.split('\t')[0] ?? '');
}

/** Closes connections on the broker's side, as `rabbitmqctl close_all_connections` would, but only these. */
export async function closeConnections(pids: readonly string[], reason = 'test'): Promise<void> {
  for (const pid of pids) await rabbitmqctl('close_connection', pid, reason);
}

/** Deletes queues and exchanges (missing ones are fine). */
export async function deleteTopology(queues: readonly string[], exchanges: readonly string[]): Promise<void> {
  const model = await connect(AMQP_URL);
  try {
    const ch = await model.createChannel();
    for (const q of queues) await ch.deleteQueue(q);
    for (const x of exchanges) await ch.deleteExchange(x);
    await ch.close();
  } finally {
    await model.close().catch(() => undefined);
  }
}

/** Polls `cond` until it holds; fails with `what` and the last value of `describe` after `timeoutMs`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string, describe: () => unknown = () => ''): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} ${JSON.stringify(describe())}`);
    await sleep(20);
  }
}

/** oslo's message_id, from an enveloped or bare notification body. */
export function messageIdOf(body: Buffer): string {
  const outer = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  const inner = typeof outer['oslo.message'] === 'string' ? (JSON.parse(outer['oslo.message']) as Record<string, unknown>) : outer;
  return String(inner.message_id);
}

/** Unique names for one test: exchanges `<prefix>-<service>`, topic `<prefix>-notifications`, dead-letter queue, connection name. */
export function testNames(label: string, services: readonly string[] = ['nova', 'cinder', 'glance']) {
  const prefix = `tally-test-${label}-${uid()}`;
  return {
    prefix,
    exchanges: services.map((s) => `${prefix}-${s}`),
    topic: `${prefix}-notifications`,
    deadLetterQueue: `${prefix}-dead`,
    connectionName: `${prefix}-consumer`,
  };
}
