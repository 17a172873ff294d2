/**
 * collector/amqp against the real local RabbitMQ. Every test works on exchanges
 * and queues of its own (random names), deleted afterwards.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type GetMessage } from 'amqplib';
import {
  NotificationConsumer, NotificationPublisher, osloEnvelope, osloNotification, prepareTopology,
  type BatchHandler, type BusMessage, type NotificationConsumerConfig, type Outcome, type PublishItem,
} from '../../collector/amqp/index.js';
import {
  AMQP_URL, closeConnections, connectionPids, deleteTopology, exchangeProps, messageIdOf, queueCounts, queueTotals, testNames, waitFor,
} from './amqp-helpers.js';
import { requires } from '../lib/requirements.js';

type Names = ReturnType<typeof testNames>;

/** Records what a handler saw: ids with their delivery counts, batches, redeliveries. */
class Recorder {
  readonly seen = new Map<string, number>();
  readonly batches: number[] = [];
  readonly messages: BusMessage[] = [];
  redelivered = 0;
  duplicates = 0;

  note(batch: readonly BusMessage[]): string[] {
    this.batches.push(batch.length);
    return batch.map((m) => {
      const id = messageIdOf(m.body);
      if (m.redelivered) this.redelivered += 1;
      const n = this.seen.get(id) ?? 0;
      if (n > 0) this.duplicates += 1;
      this.seen.set(id, n + 1);
      this.messages.push(m);
      return id;
    });
  }
}

function items(names: Names, priorities: readonly string[], perPair: number, extra: (i: number) => Record<string, unknown> = () => ({})): { list: PublishItem[]; ids: string[] } {
  const list: PublishItem[] = [];
  const ids: string[] = [];
  let i = 0;
  for (let k = 0; k < perPair; k++) {
    for (const exchange of names.exchanges) {
      for (const p of priorities) {
        const msg = osloNotification({ eventType: 'compute.instance.exists', priority: p, payload: { n: i, ...extra(i) }, publisherId: `compute.${exchange}` });
        ids.push(String(msg.message_id));
        list.push({ exchange, routingKey: `${names.topic}.${p}`, body: osloEnvelope(msg), headers: { 'x-test-n': i } });
        i += 1;
      }
    }
  }
  return { list, ids };
}

async function withBus(
  t: TestContext,
  names: Names,
  handler: BatchHandler,
  config: Partial<NotificationConsumerConfig> = {},
): Promise<{ consumer: NotificationConsumer; publisher: NotificationPublisher; logs: string[] }> {
  const logs: string[] = [];
  const consumer = new NotificationConsumer(handler, {
    url: AMQP_URL,
    exchanges: names.exchanges,
    topics: [names.topic],
    deadLetterQueue: names.deadLetterQueue,
    connectionName: names.connectionName,
    log: (line) => logs.push(line),
    ...config,
  });
  const publisher = await NotificationPublisher.connect(AMQP_URL, { connectionName: `${names.prefix}-publisher` });
  t.after(async () => {
    await consumer.stop();
    await publisher.close();
    await deleteTopology([...consumer.queues, names.deadLetterQueue], names.exchanges);
  });
  return { consumer, publisher, logs };
}

describe('collector/amqp NotificationConsumer', { timeout: 120_000 }, () => {
  it('delivers every message from several exchanges and priorities once, in batches, acked only after the handler resolved', { timeout: 60_000 }, async (t) => {
    const names = testNames('flow');
    const priorities = ['info', 'error', 'sample'];
    const rec = new Recorder();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let calls = 0;
    const { consumer, publisher } = await withBus(
      t,
      names,
      async (batch) => {
        calls += 1;
        rec.note(batch);
        if (calls === 1) await gate; // a slow store: nothing may be acked meanwhile
        return batch.map(() => null);
      },
      { priorities, prefetch: 40, batchSize: 25, batchWaitMs: 20 },
    );
    await consumer.start();
    assert.deepEqual([...consumer.queues].sort(), priorities.map((p) => `${names.topic}.${p}`).sort());

    const { list, ids } = items(names, priorities, 20); // 3 exchanges × 3 priorities × 20 = 180
    await publisher.publishAll(list);

    await waitFor(() => calls === 1 && consumer.stats().consumed >= 3 * 40, 10_000, 'the prefetch window to fill', () => consumer.stats());
    await sleep(200);
    let st = consumer.stats();
    assert.equal(st.acked, 0, 'nothing acked while the handler has not resolved');
    assert.equal(st.consumed, 3 * 40, 'prefetch bounds the deliveries: 40 per queue consumer');
    const during = await queueTotals(names.prefix, [names.deadLetterQueue]);
    assert.equal(during.unacked, 3 * 40, 'the broker holds them as unacknowledged');
    assert.equal(during.ready, 180 - 3 * 40);

    release();
    await waitFor(() => rec.seen.size === ids.length, 20_000, 'every message', () => consumer.stats());
    await waitFor(() => consumer.stats().acked === ids.length, 5000, 'every ack', () => consumer.stats());
    await sleep(100);
    assert.deepEqual([...rec.seen.keys()].sort(), [...ids].sort());
    assert.ok([...rec.seen.values()].every((n) => n === 1), 'each exactly once');
    assert.ok(rec.batches.length >= 180 / 25 && rec.batches.every((n) => n >= 1 && n <= 25), `batch sizes ${rec.batches.join(',')}`);
    assert.ok(rec.batches.some((n) => n === 25), 'full batches under load');

    const m = rec.messages.find((x) => x.exchange === names.exchanges[1] && x.routingKey === `${names.topic}.error`);
    assert.ok(m, 'a message from the second exchange with priority error');
    assert.equal(m.queue, `${names.topic}.error`);
    assert.equal(m.redelivered, false);
    assert.equal(typeof m.headers['x-test-n'], 'number');

    st = consumer.stats();
    assert.equal(st.consumed, 180);
    assert.equal(st.deadLettered, 0);
    assert.equal(st.handlerFailures, 0);
    assert.equal(st.queues[`${names.topic}.info`], 60);
    const after = await queueTotals(names.prefix, [names.deadLetterQueue]);
    assert.deepEqual(after, { ready: 0, unacked: 0 });
  });

  it('dead-letters poison messages with the reason and lets the others flow on', { timeout: 60_000 }, async (t) => {
    const names = testNames('poison');
    const rec = new Recorder();
    const { consumer, publisher } = await withBus(
      t,
      names,
      async (batch) => {
        const outcomes: Outcome[] = [];
        for (const m of batch) {
          let id: string;
          try {
            id = messageIdOf(m.body);
          } catch {
            outcomes.push({ deadLetter: 'the body is not JSON' });
            continue;
          }
          rec.note([m]);
          const inner = JSON.parse(String((JSON.parse(m.body.toString()) as Record<string, unknown>)['oslo.message'])) as { payload: { poison?: boolean } };
          outcomes.push(inner.payload.poison ? { deadLetter: `poison ${id}` } : null);
        }
        return outcomes;
      },
      { priorities: ['info'], batchSize: 10, batchWaitMs: 10 },
    );
    await consumer.start();
    const { list, ids } = items(names, ['info'], 20, (i) => (i % 12 === 5 ? { poison: true } : {})); // 60 messages, 5 poisoned
    const poisoned = ids.filter((_, i) => i % 12 === 5);
    list.splice(30, 0, { exchange: names.exchanges[2] ?? '', routingKey: `${names.topic}.info`, body: Buffer.from('{not json') });
    await publisher.publishAll(list);

    await waitFor(() => consumer.stats().acked === 61, 20_000, 'every message settled', () => consumer.stats());
    const st = consumer.stats();
    assert.equal(st.deadLettered, poisoned.length + 1);
    assert.equal(rec.seen.size, 60, 'the others all reached the handler');

    const model = await connect(AMQP_URL);
    try {
      const ch = await model.createChannel();
      const dead: GetMessage[] = [];
      for (;;) {
        const got = await ch.get(names.deadLetterQueue, { noAck: true });
        if (!got) break;
        dead.push(got);
      }
      assert.equal(dead.length, poisoned.length + 1);
      const byReason = new Map(dead.map((d) => [String(d.properties.headers?.['x-tally-reason']), d]));
      for (const id of poisoned) {
        const d = byReason.get(`poison ${id}`);
        assert.ok(d, `dead letter for ${id}`);
        assert.equal(messageIdOf(d.content), id, 'the original body');
        assert.equal(d.properties.headers?.['x-tally-routing-key'], `${names.topic}.info`);
        assert.ok(names.exchanges.includes(String(d.properties.headers?.['x-tally-exchange'])));
        assert.equal(d.properties.headers?.['x-tally-queue'], `${names.topic}.info`);
        assert.equal(typeof d.properties.headers?.['x-test-n'], 'number', 'the original headers are kept');
        assert.equal(d.properties.deliveryMode, 2, 'persistent');
        assert.equal(d.properties.contentType, 'application/json');
      }
      const garbage = byReason.get('the body is not JSON');
      assert.ok(garbage);
      assert.equal(garbage.content.toString(), '{not json');
      assert.equal(garbage.properties.headers?.['x-tally-exchange'], names.exchanges[2]);
      await ch.close();
    } finally {
      await model.close();
    }
    assert.ok((await queueCounts(names.deadLetterQueue)).get(names.deadLetterQueue)?.durable, 'the dead-letter queue is durable');
    assert.deepEqual(await queueTotals(names.prefix), { ready: 0, unacked: 0 });
  });

  it('requeues and retries with back-off while the handler throws; nothing is acked meanwhile and nothing is lost', { timeout: 60_000 }, async (t) => {
    const names = testNames('failing');
    const rec = new Recorder();
    let failuresLeft = 4;
    const ackedWhileFailing: number[] = [];
    const callTimes: number[] = [];
    let consumerRef: NotificationConsumer | undefined;
    const { consumer, publisher, logs } = await withBus(
      t,
      names,
      async (batch) => {
        callTimes.push(Date.now());
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          ackedWhileFailing.push(consumerRef?.stats().acked ?? -1);
          throw new Error('the store is down');
        }
        rec.note(batch);
        return batch.map(() => null);
      },
      { priorities: ['info', 'sample'], batchSize: 50, batchWaitMs: 10, retryMinMs: 100, retryMaxMs: 400 },
    );
    consumerRef = consumer;
    await prepareTopology(AMQP_URL, consumer.topology);
    const { list, ids } = items(names, ['info', 'sample'], 20); // 120
    await publisher.publishAll(list); // queued before the consumer starts
    await consumer.start();
    await waitFor(() => rec.seen.size === ids.length, 20_000, 'every message', () => consumer.stats());
    await waitFor(() => consumer.stats().acked === ids.length, 5000, 'every ack', () => consumer.stats());

    const st = consumer.stats();
    assert.equal(st.handlerFailures, 4);
    assert.deepEqual(ackedWhileFailing, [0, 0, 0, 0], 'no ack while the handler fails');
    assert.ok(st.requeued >= 4, `requeued ${st.requeued}`);
    assert.ok(st.redelivered > 0 && rec.redelivered > 0, 'the requeued messages come back flagged redelivered');
    assert.equal(rec.duplicates, 0, 'a failed batch never reached the store');
    assert.deepEqual([...rec.seen.keys()].sort(), [...ids].sort());
    const gaps = callTimes.slice(1, 5).map((x, i) => x - (callTimes[i] ?? 0));
    assert.ok(gaps[0] !== undefined && gaps[0] >= 90, `back-off between calls ${gaps.join(',')}`);
    assert.ok((gaps[2] ?? 0) >= 350, `the back-off grows: ${gaps.join(',')}`);
    assert.equal(logs.filter((l) => l.includes('handler failed')).length, 1, 'logged once when it starts failing');
    assert.equal(logs.filter((l) => l.includes('handler works again')).length, 1, 'and once when it recovers');
    assert.deepEqual(await queueTotals(names.prefix, [names.deadLetterQueue]), { ready: 0, unacked: 0 });
  });

  it('uses pre-existing non-durable oslo-style exchanges and queues as they are, and leaves them declarable by oslo', { timeout: 60_000 }, async (t) => {
    const names = testNames('oslo', ['nova', 'cinder', 'neutron']);
    const rec = new Recorder();
    const [nova, cinder, neutron] = names.exchanges as [string, string, string];
    // What nova's and cinder's notifiers leave behind before the collector ever ran: their
    // exchange and the queue named after the routing key, non-durable, with messages waiting.
    const oslo = await NotificationPublisher.connect(AMQP_URL, { declareLikeOslo: true, connectionName: `${names.prefix}-oslo` });
    t.after(() => oslo.close());
    const early = [nova, cinder].map((exchange) => {
      const msg = osloNotification({ eventType: 'volume.create.end', payload: {}, publisherId: exchange });
      return { id: String(msg.message_id), item: { exchange, routingKey: `${names.topic}.info`, body: osloEnvelope(msg) } };
    });
    await oslo.publishAll(early.map((e) => e.item));

    const { consumer, publisher } = await withBus(
      t,
      names,
      async (batch) => {
        rec.note(batch);
        return batch.map(() => null);
      },
      { priorities: ['info', 'error'], durable: true, batchWaitMs: 10 }, // durable: true asks for durable creations, yet what exists is used as it is
    );
    await consumer.start();
    await waitFor(() => rec.seen.size === 2, 10_000, 'the messages queued before the collector started');
    assert.deepEqual([...rec.seen.keys()].sort(), early.map((e) => e.id).sort());

    const xs = await exchangeProps(names.prefix);
    assert.deepEqual(xs.get(nova), { type: 'topic', durable: false, autoDelete: false }, 'left as nova declared it');
    assert.deepEqual(xs.get(neutron), { type: 'topic', durable: true, autoDelete: false }, 'missing: created');
    const qs = await queueCounts(names.prefix);
    assert.equal(qs.get(`${names.topic}.info`)?.durable, false, 'left as oslo declared it');
    assert.equal(qs.get(`${names.topic}.error`)?.durable, true, 'missing: created');

    // All three exchanges feed the queue now, whoever declared it.
    const { list, ids } = items(names, ['info', 'error'], 5);
    await publisher.publishAll(list);
    await waitFor(() => rec.seen.size === 2 + ids.length, 10_000, 'messages from every exchange', () => consumer.stats());
    assert.equal(consumer.stats().reconnects, 0);
  });

  it('creates missing exchanges and queues with oslo\'s properties by default, so that oslo\'s own declarations still succeed', { timeout: 60_000, ...requires('python3-oslo.messaging') }, async (t) => {
    const names = testNames('compat', ['nova']);
    const rec = new Recorder();
    const { consumer } = await withBus(t, names, async (batch) => {
      rec.note(batch);
      return batch.map(() => null);
    }, { priorities: ['info'], batchWaitMs: 10 });
    await consumer.start();
    const nova = names.exchanges[0] ?? '';
    assert.deepEqual((await exchangeProps(names.prefix)).get(nova), { type: 'topic', durable: false, autoDelete: false });
    assert.equal((await queueCounts(names.prefix)).get(`${names.topic}.info`)?.durable, false);

    // nova (re)starting declares its exchange and default queue: no PRECONDITION_FAILED.
    const oslo = await NotificationPublisher.connect(AMQP_URL, { declareLikeOslo: true, connectionName: `${names.prefix}-oslo` });
    t.after(() => oslo.close());
    const msg = osloNotification({ eventType: 'compute.instance.create.end', payload: {} });
    await oslo.publish({ exchange: nova, routingKey: `${names.topic}.info`, body: osloEnvelope(msg) });
    await waitFor(() => rec.seen.has(String(msg.message_id)), 10_000, 'the message');

    // And the real oslo.messaging notifier (Debian's python3-oslo.messaging).
    const script = [
      'import sys, oslo_messaging as om',
      'from oslo_config import cfg',
      'conf = cfg.ConfigOpts(); conf([])',
      'om.set_transport_defaults(sys.argv[2])',
      't = om.get_notification_transport(conf, url=sys.argv[1])',
      'n = om.Notifier(t, driver="messagingv2", publisher_id="compute.host1", topics=[sys.argv[3]], retry=0)',
      'n.info({"user_id": "u1"}, "compute.instance.update", {"instance_id": "i-1"})',
      't.cleanup()',
    ].join('\n');
    const rabbitUrl = AMQP_URL.replace(/^amqp:/, 'rabbit:');
    const ran = await new Promise<{ ok: boolean; out: string }>((resolve) => {
      execFile('/usr/bin/python3', ['-c', script, rabbitUrl, nova, names.topic], { timeout: 30_000 }, (err, stdout, stderr) => {
        resolve({ ok: !err, out: `${stdout}${stderr}` });
      });
    });
    assert.ok(ran.ok, ran.out);
    assert.doesNotMatch(ran.out, /PRECONDITION_FAILED|MessageDeliveryFailure/, ran.out);
    await waitFor(() => rec.messages.some((m) => m.body.includes('compute.instance.update')), 10_000, 'the notification from oslo.messaging');
    const m = rec.messages.find((x) => x.body.includes('compute.instance.update'));
    assert.ok(m);
    const outer = JSON.parse(m.body.toString()) as Record<string, unknown>;
    assert.equal(outer['oslo.version'], '2.0');
    const inner = JSON.parse(String(outer['oslo.message'])) as Record<string, unknown>;
    assert.equal(inner.event_type, 'compute.instance.update');
    assert.equal(inner.priority, 'INFO');
    assert.equal(inner._context_user_id, 'u1');
    assert.equal(m.exchange, nova);
    assert.equal(m.routingKey, `${names.topic}.info`);
  });

  it('survives its connection being closed by the broker mid-stream: every published id is processed, nothing lost', { timeout: 90_000 }, async (t) => {
    const names = testNames('drop', ['nova', 'neutron']);
    const rec = new Recorder();
    let processing = 0;
    const { consumer, publisher } = await withBus(
      t,
      names,
      async (batch) => {
        processing += 1;
        rec.note(batch);
        await sleep(60); // a store write: about 3,000 messages/s
        processing -= 1;
        return batch.map(() => null);
      },
      { priorities: ['info', 'sample'], prefetch: 500, batchSize: 200, batchWaitMs: 20, reconnectMinMs: 200 },
    );
    await consumer.start();
    const { list, ids } = items(names, ['info', 'sample'], 5000); // 20,000
    let pids = await connectionPids(names.connectionName);
    assert.equal(pids.length, 1);
    const pushing = publisher.publishAll(list);

    const closedAt: number[] = [];
    for (const at of [2000, 8000]) {
      await waitFor(() => consumer.stats().consumed >= at, 30_000, `${at} deliveries`, () => consumer.stats());
      if (rec.seen.size === ids.length) break;
      const before = consumer.stats().reconnects;
      closedAt.push(rec.seen.size);
      await closeConnections(pids); // while a batch is in the handler and more wait in the buffer
      closedAt.push(rec.seen.size);
      await waitFor(() => consumer.stats().reconnects > before, 20_000, 'a reconnection', () => consumer.stats());
      pids = await connectionPids(names.connectionName);
    }
    assert.equal(await pushing, ids.length);
    await waitFor(() => rec.seen.size === ids.length, 40_000, 'every id', () => ({ seen: rec.seen.size, ...consumer.stats() }));
    await waitFor(async () => {
      const q = await queueTotals(names.prefix, [names.deadLetterQueue]);
      return q.ready === 0 && q.unacked === 0;
    }, 20_000, 'empty queues');

    const st = consumer.stats();
    t.diagnostic(
      `20,000 messages, connection closed twice (processed when asked/closed: ${closedAt.join(', ')}), ${st.reconnects} reconnection(s): ${st.consumed} deliveries, ` +
        `${st.redelivered} flagged redelivered, ${rec.duplicates} seen twice by the handler, ${st.abandoned} abandoned with their channel, ${st.acked} acked`,
    );
    const published = new Set(ids);
    assert.equal(published.size, ids.length);
    assert.equal(rec.seen.size, published.size);
    for (const id of rec.seen.keys()) assert.ok(published.has(id), `unknown id ${id}`);
    assert.equal(closedAt.length, 4, 'closed twice mid-stream');
    assert.ok(closedAt.every((n) => n < ids.length));
    assert.equal(st.reconnects, 2);
    assert.equal(processing, 0);
    assert.equal(st.consumed, st.acked + st.abandoned + st.requeued + st.buffered, 'every delivery was acked, or left to the broker with its channel');
    assert.ok(st.acked >= ids.length);
    assert.ok(st.abandoned > 0 && st.redelivered > 0, 'unacknowledged deliveries came back');
  });

  it('recovers when its queues are deleted under it, the dead-letter queue included', { timeout: 60_000 }, async (t) => {
    const names = testNames('deleted', ['nova']);
    const rec = new Recorder();
    const { consumer, publisher, logs } = await withBus(t, names, async (batch) => {
      const ids = rec.note(batch);
      return batch.map((m, i) => (m.body.includes('\\"poison\\":true') ? { deadLetter: `poison ${ids[i]}` } : null));
    }, { priorities: ['info', 'sample'], batchWaitMs: 10, reconnectMinMs: 100 });
    await consumer.start();
    const send = async (k: number, poison = false): Promise<string[]> => {
      const { list, ids } = items(names, ['info', 'sample'], k, () => (poison ? { poison: true } : {}));
      await publisher.publishAll(list);
      return ids;
    };
    const first = await send(5);
    await waitFor(() => first.every((id) => rec.seen.has(id)), 10_000, 'the first messages');

    await deleteTopology([`${names.topic}.sample`], []);
    await waitFor(() => consumer.stats().reconnects === 1 && consumer.stats().consuming, 10_000, 'a new connection', () => ({ logs, ...consumer.stats() }));
    assert.ok(logs.some((l) => l.includes('cancelled the consumer')), logs.join('\n'));
    const second = await send(5);
    await waitFor(() => second.every((id) => rec.seen.has(id)), 10_000, 'messages through the re-created queue');

    await deleteTopology([names.deadLetterQueue], []);
    const third = await send(5, true);
    await waitFor(() => consumer.stats().deadLettered === third.length, 10_000, 'the poison messages dead-lettered', () => ({ logs, ...consumer.stats() }));
    assert.equal(consumer.stats().reconnects, 2, 'the missing dead-letter queue was noticed, and re-created on a new connection');
    assert.ok(consumer.stats().abandoned > 0);
    const q = await queueCounts(names.prefix);
    assert.equal(q.get(names.deadLetterQueue)?.ready, third.length, 'in a re-created dead-letter queue');
    assert.deepEqual(await queueTotals(names.prefix, [names.deadLetterQueue]), { ready: 0, unacked: 0 });
  });

  it('stops cleanly: the batch in the handler is settled, what was only buffered goes back to the queue', { timeout: 60_000 }, async (t) => {
    const names = testNames('stop', ['nova']);
    const rec = new Recorder();
    let inHandler = false;
    const { consumer, publisher } = await withBus(t, names, async (batch) => {
      inHandler = true;
      rec.note(batch);
      await sleep(300);
      inHandler = false;
      return batch.map(() => null);
    }, { priorities: ['info'], prefetch: 100, batchSize: 30, batchWaitMs: 10 });
    await consumer.start();
    const { list, ids } = items(names, ['info'], 500);
    await publisher.publishAll(list);
    await waitFor(() => inHandler && rec.seen.size > 30, 10_000, 'the second batch in the handler');
    await consumer.stop();
    assert.equal(inHandler, false, 'stop() waited for the handler');
    const st = consumer.stats();
    assert.equal(st.acked, rec.seen.size, 'every batch that reached the handler was acked');
    assert.equal(st.connected, false);
    await waitFor(async () => {
      const q = await queueCounts(names.prefix);
      const c = q.get(`${names.topic}.info`);
      return c?.unacked === 0 && c.ready === ids.length - rec.seen.size;
    }, 10_000, 'the rest back in the queue', async () => [...(await queueCounts(names.prefix))]);
  });

  it('keeps retrying while the broker is unreachable, says so once, and stops cleanly', { timeout: 30_000 }, async () => {
    const logs: string[] = [];
    const consumer = new NotificationConsumer(async (b) => b.map(() => null), {
      url: 'amqp://guest:guest@127.0.0.1:1/', // nothing listens there
      exchanges: ['nova'],
      reconnectMinMs: 20,
      reconnectMaxMs: 100,
      log: (line) => logs.push(line),
    });
    let started = false;
    const starting = consumer.start().then(() => {
      started = true;
    });
    await sleep(600);
    assert.equal(started, false, 'start() waits for a consuming channel');
    assert.equal(consumer.stats().connected, false);
    assert.equal(logs.filter((l) => l.includes('cannot connect')).length, 1, logs.join('\n'));
    await consumer.stop();
    await starting; // resolved by stop()
    assert.equal(logs.length, 1, logs.join('\n'));
  });
});
