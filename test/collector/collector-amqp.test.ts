/**
 * End to end through the real RabbitMQ: a cloud's notifications, pre-filled
 * in oslo's queues, are consumed by `tally all-in-one --amqp-url` while tally
 * is killed (SIGKILL) and restarted and the broker drops its connection
 * (`rabbitmqctl close_connection`). Afterwards the store holds exactly
 * one measure and one event per distinct message: nothing lost, nothing
 * doubled; poison messages sit in the dead-letter queue with their reasons.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect } from 'amqplib';
import { NotificationPublisher, osloEnvelope, osloNotification } from '../../collector/amqp/publish.js';
import { AMQP_URL, closeConnections, connectionPids, deleteTopology, queueTotals, testNames, waitFor } from './amqp-helpers.js';

const ROOT = join(import.meta.dirname, '../..');
const GOOD = 12_000;
const RESOURCES = 8;
const REPUBLISHED = 300;

const METERS = `
metric:
  - name: test.ticks
    event_type: test.tick
    type: delta
    unit: tick
    volume: $.payload.v
    resource_id: $.payload.rid
    project_id: $.payload.project
`;
const RESOURCES_YAML = `
archive_policy_default: test-count
archive_policies:
  # daily buckets and two days of back window: notifications from several queues arrive out of
  # time order, and the store (as Gnocchi) drops measures older than its back window
  - name: test-count
    aggregation_methods: [count, sum]
    back_window: 2
    definition:
      - granularity: 1 day
        timespan: 30 days
resources:
  - resource_type: generic
    metrics:
      test.ticks:
`;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

describe('collector: RabbitMQ into the store across crashes and dropped connections', () => {
  const names = testNames('e2e', ['nova', 'cinder']);
  const dir = mkdtempSync(join(tmpdir(), 'tally-collector-e2e-'));
  const resourceIds = Array.from({ length: RESOURCES }, () => randomUUID());
  const queues = [`${names.topic}.info`, `${names.topic}.sample`, `${names.topic}.error`];
  let port = 0;
  let child: ChildProcess | null = null;
  let output = '';

  const startTally = async (): Promise<void> => {
    const from = output.length;
    child = spawn(process.execPath, [join(ROOT, 'bin/tally.js'), 'all-in-one', '--config', join(dir, 'tally.yaml')], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TALLY_LOG_LEVEL: 'warn' },
    });
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (output += s));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (output += s));
    // this process's own line, not the one a killed predecessor printed
    await waitFor(() => output.includes('listening on', from), 60_000, 'tally to listen', () => output.slice(-2000));
  };
  const api = async (path: string): Promise<unknown> => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { 'x-user-id': 'admin', 'x-project-id': 'admin', 'x-roles': 'admin' } });
    assert.equal(res.status, 200, `${path}: ${await res.clone().text()}`);
    return res.json();
  };
  const pending = async (): Promise<number> => {
    const t = await queueTotals(names.topic);
    return t.ready + t.unacked;
  };

  before(async () => {
    port = await freePort();
    writeFileSync(join(dir, 'meters.yaml'), METERS);
    writeFileSync(join(dir, 'gnocchi_resources.yaml'), RESOURCES_YAML);
    writeFileSync(
      join(dir, 'tally.yaml'),
      [
        `port: ${port}`,
        `data_dir: ${join(dir, 'data')}`,
        `amqp_url: ${AMQP_URL}`,
        `amqp_exchanges: ${names.exchanges.join(',')}`,
        `amqp_topics: ${names.topic}`,
        `amqp_durable_queues: true`,
        `amqp_dead_letter_queue: ${names.deadLetterQueue}`,
        `amqp_prefetch: 500`,
        `amqp_batch_size: 250`,
        `meter_definitions: ${join(dir, 'meters.yaml')}`,
        `gnocchi_resources: ${join(dir, 'gnocchi_resources.yaml')}`,
        `processing_interval_ms: 100`,
      ].join('\n'),
    );
    // pre-fill the queues as the services would while tally is away: oslo's notifier declares them
    const publisher = await NotificationPublisher.connect(AMQP_URL, { declareLikeOslo: true, durable: true, window: 500 });
    const t0 = Date.now() - 3_600_000;
    const bodies: { exchange: string; routingKey: string; body: Buffer }[] = [];
    for (let i = 0; i < GOOD; i++) {
      const msg = osloNotification({
        eventType: 'test.tick',
        priority: i % 5 === 0 ? 'SAMPLE' : 'INFO',
        messageId: `tick-${i}`,
        timestamp: new Date(t0 + i * 100),
        payload: { v: 1, rid: resourceIds[i % RESOURCES], project: 'p1' },
      });
      bodies.push({ exchange: names.exchanges[i % 2], routingKey: `${names.topic}.${i % 5 === 0 ? 'sample' : 'info'}`, body: osloEnvelope(msg) });
    }
    // the same messages again (a service retrying): the same message ids
    for (let i = 0; i < REPUBLISHED; i++) bodies.push({ ...bodies[i * 7] });
    const poison = [Buffer.from('not json at all'), Buffer.from('{"oslo.version": "2.0", "oslo.message": "{broken"}'), Buffer.from(JSON.stringify({ event_type: 'test.tick', payload: {} }))];
    for (const body of poison) bodies.push({ exchange: names.exchanges[0], routingKey: `${names.topic}.info`, body });
    await publisher.publishAll(bodies);
    await publisher.close();
    await startTally();
  });

  after(async () => {
    child?.kill('SIGKILL');
    await deleteTopology([...queues, names.deadLetterQueue], names.exchanges).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses and doubles nothing', { timeout: 240_000 }, async () => {
    const total = GOOD + REPUBLISHED + 3;
    // a third in: kill tally outright, then start it again on the same data
    await waitFor(async () => (await pending()) < total * 0.7, 120_000, 'a third consumed', () => output.slice(-1000));
    child!.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    await startTally();
    // two thirds in: the broker drops every connection
    await waitFor(async () => (await pending()) < total * 0.35, 120_000, 'two thirds consumed', () => output.slice(-1000));
    // (only tally's: other tests may be using the broker meanwhile)
    const pids = await connectionPids(`tally-collector@${hostname()}:${child!.pid}`);
    assert.ok(pids.length > 0, 'tally\'s connection is in the broker\'s list');
    await closeConnections(pids, 'tally test: dropped');
    await waitFor(async () => (await pending()) === 0, 180_000, 'the queues to drain', () => output.slice(-1000));

    // every measure, once: the count of each resource's measures
    let measures = 0;
    for (const rid of resourceIds) {
      const points = (await api(`/v1/resource/generic/${rid}/metric/test.ticks/measures?aggregation=count&granularity=86400&refresh=true`)) as [string, number, number][];
      measures += points.reduce((s, p) => s + p[2], 0);
    }
    assert.equal(measures, GOOD, `measures in the store (tally said:\n${output.slice(-1500)})`);

    // every event, once: info notifications make events, sample ones do not (as in Ceilometer)
    const infos = GOOD - GOOD / 5;
    const events = (await api(`/v2/events?q.field=event_type&q.value=test.tick&limit=${GOOD * 2}`)) as { message_id: string }[];
    assert.equal(events.length, infos);
    assert.equal(new Set(events.map((e) => e.message_id)).size, infos);

    // the poison, with reasons
    const model = await connect(AMQP_URL);
    const ch = await model.createChannel();
    const reasons: string[] = [];
    for (let m = await ch.get(names.deadLetterQueue, { noAck: true }); m; m = await ch.get(names.deadLetterQueue, { noAck: true })) {
      reasons.push(String(m.properties.headers?.['x-tally-reason']));
    }
    await model.close();
    // dead-lettering is at least once: a connection dropped between the broker's confirm and the ack repeats one
    assert.equal(new Set(reasons).size, 3, reasons.join('\n'));
    assert.ok(reasons.some((r) => r.startsWith('not JSON')));
    assert.ok(reasons.some((r) => r.includes('oslo.message is not JSON')));
    assert.ok(reasons.some((r) => r.includes('message_id is missing')));
  });
});
