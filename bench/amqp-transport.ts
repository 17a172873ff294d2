/**
 * RabbitMQ transport benchmark: N oslo-enveloped notifications pre-filled into
 * the notification queues, then consumed through collector/amqp's
 * NotificationConsumer with a handler that does nothing (or JSON-decodes the
 * envelope, --decode), for each prefetch × batch size; timed from the first
 * delivery to the last ack. Prints a table. Needs the local RabbitMQ.
 *
 *   node --import tsx bench/amqp-transport.ts [--messages 100000] [--size 1000]
 *        [--prefetch 500,2000,5000] [--batch 100,1000] [--decode] [--url amqp://…]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { connect } from 'amqplib';
import { NotificationConsumer, NotificationPublisher, osloEnvelope, osloNotification, prepareTopology, type BatchHandler, type PublishItem } from '../collector/amqp/index.js';

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '100000' },
    size: { type: 'string', default: '1000' }, // approximate payload bytes
    prefetch: { type: 'string', default: '500,2000,5000' },
    batch: { type: 'string', default: '100,1000' },
    'batch-wait': { type: 'string', default: '50' },
    decode: { type: 'boolean', default: false },
    url: { type: 'string', default: process.env.TALLY_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672/' },
  },
});
const N = Number(args.messages);
const SIZE = Number(args.size);
const PREFETCHES = args.prefetch.split(',').map(Number);
const BATCHES = args.batch.split(',').map(Number);
const URL = args.url;
const log = (msg: string): void => {
  process.stderr.write(`${msg}\n`);
};

const prefix = `tally-bench-${randomBytes(3).toString('hex')}`;
const exchanges = ['nova', 'cinder', 'neutron'].map((s) => `${prefix}-${s}`);
const topic = `${prefix}-notifications`;
const priorities = ['info', 'sample'];
const plan = { exchanges, queues: priorities.map((p) => `${topic}.${p}`), durable: false, deadLetterQueue: `${prefix}-dead` };

/** A payload shaped like a Ceilometer polling sample batch, padded to about SIZE bytes. */
function payload(i: number): Record<string, unknown> {
  const base = {
    counter_name: 'cpu', counter_type: 'cumulative', counter_unit: 'ns', counter_volume: i * 1e9,
    user_id: 'e0c5b6a4f6b14f5c9b1d0a0c8c3e2f11', project_id: '7d2e3f4a5b6c4d8e9f0a1b2c3d4e5f60',
    resource_id: `9a8b7c6d-${String(i % 10000).padStart(4, '0')}-4e3f-8a1b-2c3d4e5f6a7b`, timestamp: new Date().toISOString(),
    resource_metadata: { host: 'compute-01', flavor: { name: 'm1.small', vcpus: 1, ram: 2048, disk: 20 }, image_ref: 'cirros', display_name: `vm-${i}` },
  };
  const pad = Math.max(0, SIZE - JSON.stringify(base).length - 20);
  return { ...base, pad: 'x'.repeat(pad) };
}

async function prefill(): Promise<{ seconds: number; bytes: number }> {
  const publisher = await NotificationPublisher.connect(URL, { connectionName: `${prefix}-publisher`, window: 10000 });
  let bytes = 0;
  function* gen(): Generator<PublishItem> {
    for (let i = 0; i < N; i++) {
      const exchange = exchanges[i % exchanges.length] ?? '';
      const p = priorities[i % priorities.length] ?? 'info';
      const body = osloEnvelope(osloNotification({ eventType: 'telemetry.polling', priority: p, payload: payload(i), publisherId: 'ceilometer.polling' }));
      bytes += body.length;
      yield { exchange, routingKey: `${topic}.${p}`, body };
    }
  }
  const t0 = performance.now();
  await publisher.publishAll(gen());
  const seconds = (performance.now() - t0) / 1000;
  await publisher.close();
  return { seconds, bytes };
}

interface Row {
  prefetch: number;
  batch: number;
  seconds: number;
  batches: number;
  cpu: number;
}

async function consumeAll(prefetch: number, batch: number): Promise<Row> {
  let first = 0;
  let last = 0;
  let handled = 0;
  const decode = args.decode;
  const handler: BatchHandler = async (messages) => {
    if (first === 0) first = performance.now();
    if (decode) {
      for (const m of messages) {
        const outer = JSON.parse(m.body.toString('utf8')) as Record<string, unknown>;
        JSON.parse(String(outer['oslo.message']));
      }
    }
    handled += messages.length;
    return messages.map(() => null);
  };
  const consumer = new NotificationConsumer(handler, {
    url: URL, exchanges, topics: [topic], priorities, prefetch, batchSize: batch, batchWaitMs: Number(args['batch-wait']),
    deadLetterQueue: plan.deadLetterQueue, connectionName: `${prefix}-consumer`, log: () => undefined,
  });
  const cpu0 = process.cpuUsage();
  await consumer.start();
  await new Promise<void>((resolve) => {
    const t = setInterval(() => {
      if (consumer.stats().acked >= N) {
        last = performance.now();
        clearInterval(t);
        resolve();
      }
    }, 2);
  });
  const cpu = process.cpuUsage(cpu0);
  const batches = consumer.stats().batches;
  await consumer.stop();
  if (handled !== N) throw new Error(`handled ${handled} of ${N}`);
  return { prefetch, batch, seconds: (last - first) / 1000, batches, cpu: (cpu.user + cpu.system) / 1e6 };
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

await prepareTopology(URL, plan);
const rows: Row[] = [];
let fill = { seconds: 0, bytes: 0 };
try {
  for (const prefetch of PREFETCHES) {
    for (const batch of BATCHES) {
      fill = await prefill();
      log(`prefilled ${fmt(N)} messages (${fmt(fill.bytes / N)} bytes each) in ${fill.seconds.toFixed(2)} s: ${fmt(N / fill.seconds)}/s; consuming with prefetch ${prefetch}, batch ${batch}`);
      const row = await consumeAll(prefetch, batch);
      log(`  ${fmt(N / row.seconds)} messages/s`);
      rows.push(row);
    }
  }
} finally {
  const model = await connect(URL);
  const ch = await model.createChannel();
  for (const q of [...plan.queues, plan.deadLetterQueue]) await ch.deleteQueue(q);
  for (const x of exchanges) await ch.deleteExchange(x);
  await model.close();
}

const header = ['prefetch (per queue)', 'batch', 'messages/s', 'MB/s', 'avg batch', 'bench CPU s per 100k'];
const table = rows.map((r) => [
  String(r.prefetch), String(r.batch), fmt(N / r.seconds), ((fill.bytes / r.seconds) / 1e6).toFixed(1), fmt(N / r.batches), ((r.cpu * 100_000) / N).toFixed(2),
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] ?? '').length)));
const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padStart(widths[i] ?? 0)).join(' | ')} |`;
console.log(`\nRabbitMQ transport, ${fmt(N)} notifications of ${fmt(fill.bytes / N)} bytes over ${plan.queues.length} queues × ${exchanges.length} exchanges, handler: ${args.decode ? 'JSON-decodes the envelope' : 'no-op'}`);
console.log(`pre-fill (publisher, confirms): ${fmt(N / fill.seconds)} messages/s`);
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of table) console.log(line(r));
