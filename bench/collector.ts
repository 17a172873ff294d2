/**
 * Notifications per second from RabbitMQ into durable measures.
 *
 *   npm run bench:collector                 1,000,000 notifications
 *   npm run bench:collector -- --count 200000
 *   npm run bench:collector -- --short      20,000 (what the test suite runs)
 *
 * Pre-fills oslo-style queues on the local broker (amqp://guest:guest@127.0.0.1:5672/,
 * or TALLY_BENCH_AMQP_URL) with a realistic mix: nova's compute.instance.exists
 * (4 samples each: memory, vcpus, two disks), cinder's volume.exists (1 sample), and
 * polling agents' telemetry.polling batches (10 samples each), over 2,000
 * instances and 1,000 volumes. Then measures, with Ceilometer's own definition
 * files and embedded storage: the processing alone (bodies handed to the
 * processor in batches of 1,000), and the collector consuming the queues until
 * every notification is durable. Prints a table. Loopback only; stops by itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from 'amqplib';
import { NotificationPublisher } from '../collector/amqp/publish.js';
import { EXCHANGES, QUEUES, TOPIC, notificationMix as notification } from './collector-mix.js';
import { Collector } from '../collector/collector.js';
import { Engine } from '../tsdb/engine.js';
import { Index } from '../tsdb/index/index.js';
import { tuneRuntime } from '../cli/runtime.js';

// measured as a tally process runs: with its V8 settings
tuneRuntime();

const { values: args } = parseArgs({
  options: { count: { type: 'string' }, short: { type: 'boolean', default: false } },
});
const COUNT = Number(args.count ?? (args.short ? 20_000 : 1_000_000));
const AMQP_URL = process.env.TALLY_BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672/';
const DEFINITIONS = join(import.meta.dirname, '../collector/data');
const PREFIX = TOPIC.replace(/-notifications$/, '');

/** Storage and a collector on it, without a broker. */
async function openStack(amqp: boolean): Promise<{ dir: string; engine: Engine; index: Index; collector: Collector }> {
  const dir = mkdtempSync(join(tmpdir(), 'tally-bench-collector-'));
  const engine = Engine.open({ path: join(dir, 'tsdb') });
  const index = await Index.open(join(dir, 'index'));
  const collector = await Collector.start(engine, index, {
    meterDefinitions: [join(DEFINITIONS, 'meters.yaml')],
    eventDefinitions: join(DEFINITIONS, 'event_definitions.yaml'),
    gnocchiResources: join(DEFINITIONS, 'gnocchi_resources.yaml'),
    creator: 'tally:collector',
    amqp: amqp
      ? { url: AMQP_URL, exchanges: EXCHANGES, topics: [TOPIC], priorities: ['info', 'sample', 'error'], durable: false, prefetch: 2000, batchSize: 1000, deadLetterQueue: `${PREFIX}-dead` }
      : undefined,
    log: () => undefined,
  });
  return { dir, engine, index, collector };
}

interface Row {
  readonly what: string;
  readonly notifications: number;
  readonly seconds: number;
  readonly samples: number;
  readonly cpu: number;
  readonly rss: number;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const t0 = Date.now() - 3_600_000;
  const items = Array.from({ length: COUNT }, (_, i) => notification(i, new Date(t0 + (i % 3_600_000))));
  const samplesTotal = items.reduce((s, x) => s + x.samples, 0);
  const rows: Row[] = [];
  const measure = async (what: string, run: () => Promise<void>): Promise<void> => {
    const cpu0 = process.cpuUsage();
    const start = process.hrtime.bigint();
    await run();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    rows.push({ what, notifications: COUNT, seconds, samples: samplesTotal, cpu: (cpu.user + cpu.system) / 1e6, rss: process.memoryUsage().rss });
  };

  // 1. the processing alone: parse, definitions, resources, one durable write per 1,000
  {
    const s = await openStack(false);
    await measure('processing alone (batches of 1,000)', async () => {
      for (let i = 0; i < items.length; i += 1000) await s.collector.process(items.slice(i, i + 1000).map((x) => x.body));
    });
    const st = s.collector.stats().processor;
    if (st.messages !== COUNT || st.deadLettered !== 0) throw new Error(`processing alone: ${JSON.stringify(st)}`);
    await s.collector.stop();
    await s.engine.close();
    await s.index.close();
    rmSync(s.dir, { recursive: true, force: true });
  }

  // 2. from the broker: pre-fill the queues as the services would, then consume until all is durable
  const s = await openStack(false);
  await s.collector.stop();
  const publisher = await NotificationPublisher.connect(AMQP_URL, { declareLikeOslo: true, window: 2000 });
  const p0 = Date.now();
  process.stderr.write(`pre-filling ${fmt(COUNT)} notifications… `);
  await publisher.publishAll(items);
  await publisher.close();
  process.stderr.write(`${((Date.now() - p0) / 1000).toFixed(1)} s\n`);
  const engine = s.engine;
  const index = s.index;
  const c = await Collector.start(engine, index, {
    meterDefinitions: [join(DEFINITIONS, 'meters.yaml')],
    eventDefinitions: join(DEFINITIONS, 'event_definitions.yaml'),
    gnocchiResources: join(DEFINITIONS, 'gnocchi_resources.yaml'),
    creator: 'tally:collector',
    amqp: { url: AMQP_URL, exchanges: EXCHANGES, topics: [TOPIC], priorities: ['info', 'sample', 'error'], durable: false, prefetch: 2000, batchSize: 1000, deadLetterQueue: `${PREFIX}-dead` },
    log: () => undefined,
  });
  await measure('RabbitMQ → durable measures', async () => {
    const deadline = Date.now() + 30 * 60_000;
    // redeliveries count as messages too: wait for every distinct one
    const done = (): number => c.stats().processor.messages - c.stats().processor.duplicates;
    while (done() < COUNT) {
      if (Date.now() > deadline) throw new Error(`gave up: ${JSON.stringify(c.stats())}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  const st = c.stats().processor;
  const bus = c.stats().bus;
  await c.stop();
  await engine.close();
  await index.close();
  rmSync(s.dir, { recursive: true, force: true });
  const model = await connect(AMQP_URL);
  const ch = await model.createChannel();
  for (const q of [...QUEUES, `${PREFIX}-dead`]) await ch.deleteQueue(q);
  for (const x of EXCHANGES) await ch.deleteExchange(x);
  await model.close();

  console.log(`\n${fmt(COUNT)} notifications (50% compute.instance.exists, 20% volume.exists, 30% telemetry.polling of 10 samples), ${fmt(samplesTotal)} samples; stored: ${fmt(st.measures)} measures, ${fmt(st.events)} events; ${fmt(st.skippedSamples)} samples skipped as Ceilometer's publisher skips them, ${fmt(st.deadLettered)} notifications dead-lettered; from the bus: ${fmt(bus?.consumed ?? 0)} deliveries, ${fmt(bus?.redelivered ?? 0)} redelivered, ${fmt(bus?.handlerFailures ?? 0)} failed batches, ${fmt(st.duplicates)} duplicates\n`);
  console.log('| path | notifications/s | samples/s | CPU s per 100k notifications | peak RSS |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.what} | ${fmt(r.notifications / r.seconds)} | ${fmt(r.samples / r.seconds)} | ${((r.cpu / r.notifications) * 1e5).toFixed(2)} | ${Math.round(r.rss / 2 ** 20)} MiB |`);
  }
}

await main();
