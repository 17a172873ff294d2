/**
 * What a process's GET /metrics tells (exporters/README.md): its memory (the
 * parts tally can account for: V8 heaps per thread, the embedded index's
 * WASM memory, the store's mapped file) and the caches' sizes, its HTTP
 * requests, and the work of each role it runs: ingest and aggregation,
 * storage on disk, notifications, scrapes, alarms and their deliveries.
 * Counters are the owners' own totals, read when scraped; only the HTTP
 * requests and the evaluation cycles are observed as they happen.
 */
import { getHeapStatistics } from 'node:v8';
import type { FastifyInstance } from 'fastify';
import { Histogram } from 'prom-client';
import type { AlarmService } from '../alarms/alarm-service.js';
import type { Collector } from '../collector/collector.js';
import type { PrometheusScraper } from '../collector/prometheus/scraper.js';
import { diskUsage } from '../exporters/disk-usage.js';
import { observeHttp } from '../exporters/http-metrics.js';
import { type ProcessMetrics, processMetrics } from '../exporters/metrics.js';
import { residentOf } from '../exporters/process-memory.js';
import { type Reading, counterReadWhenScraped, gaugeReadWhenScraped, single } from '../exporters/read-when-scraped.js';
import type { BackgroundProcessor, Engine, ThreadMemory } from '../tsdb/engine.js';
import type { MirrorBacklog } from '../tsdb/mirror-log.js';
import type { RunningSink, SinkStats } from '../exporters/sinks/sink-runner.js';
import type { Index } from '../tsdb/index/index.js';
import type { Sql } from '../tsdb/index/sql.js';

/** Registers GET /metrics on `app`, and counts its requests; the caller adds what its process holds. */
export function serveMetrics(app: FastifyInstance): ProcessMetrics {
  const metrics = processMetrics();
  metrics.memoryPart('v8_heap_main_thread', () => getHeapStatistics().total_heap_size);
  metrics.memoryPart('v8_external_main_thread', () => getHeapStatistics().external_memory);
  observeHttp(app, metrics.registry);
  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  return metrics;
}

/** Measures taken in and folded, what waits, and how far behind the folding is. */
export function observeIngest(metrics: ProcessMetrics, engine: Engine, processor: BackgroundProcessor): void {
  const { registry } = metrics;
  counterReadWhenScraped(registry, {
    name: 'tally_measures_accepted_total',
    help: 'Measures accepted into the incoming buffer (durable, waiting to be aggregated)',
    read: () => single(engine.progress().measuresAccepted),
  });
  counterReadWhenScraped(registry, {
    name: 'tally_measures_aggregated_total',
    help: 'Measures folded into the rollups of their archive policy (by the aggregation thread and by refreshes)',
    read: () => single(engine.progress().measuresFolded + (processor.threadProgress()?.measuresFolded ?? 0)),
  });
  gaugeReadWhenScraped(registry, {
    name: 'tally_incoming_backlog_entries',
    help: 'Incoming entries waiting for aggregation (a metric\'s part of one accepted write each)',
    read: () => single(engine.pendingEntries()),
  });
  gaugeReadWhenScraped(registry, {
    name: 'tally_aggregation_lag_seconds',
    help: 'How long the oldest measure waiting for aggregation may have waited (0 when nothing waits)',
    read: () => {
      if (engine.pendingEntries() === 0) return single(0);
      const caughtUpAt = (processor.threadProgress() ?? engine.progress()).caughtUpAt;
      return single(Math.max(0, (Date.now() - caughtUpAt) / 1000));
    },
  });
}

/** What a database takes on disk: its directory when embedded, else what PostgreSQL says of it. */
export function sqlSize(sql: Sql, target: string): () => Promise<number> {
  if (sql.embeddedMemory) return () => diskUsage(target);
  return async () => {
    const [row] = await sql.query<{ n: string | number }>('SELECT pg_database_size(current_database()) AS n');
    return Number(row.n);
  };
}

/** how long a store's size is reused: walking an embedded index's thousand files takes tens of ms, and sizes change slowly */
const SIZE_REUSE_MS = 30_000;

/** `read`, reusing its last answer for SIZE_REUSE_MS. */
function reused(read: () => Promise<number>): () => Promise<number> {
  let last: { at: number; value: Promise<number> } | null = null;
  return () => {
    if (last === null || Date.now() - last.at > SIZE_REUSE_MS) {
      const value = read();
      last = { at: Date.now(), value };
      value.catch(() => (last = null));
    }
    return last.value;
  };
}

/** The stores' sizes on disk, by store (`tsdb`, `index`, `alarm_index`). */
export function observeStoreSizes(metrics: ProcessMetrics, stores: Readonly<Record<string, () => Promise<number>>>): void {
  const reads = Object.entries(stores).map(([store, size]) => [store, reused(size)] as const);
  gaugeReadWhenScraped(metrics.registry, {
    name: 'tally_store_size_bytes',
    help: 'Bytes each store takes on disk (the time series file, the index database), measured at most every 30 s',
    labelNames: ['store'],
    async read() {
      const sizes = await Promise.all(reads.map(async ([store, size]) => [store, await size().catch(() => null)] as const));
      return sizes.flatMap(([store, bytes]): Reading<'store'>[] => (bytes === null ? [] : [[{ store }, bytes]]));
    },
  });
}

/** Notifications per queue (and over HTTP), and the broker connection. */
export function observeCollector(metrics: ProcessMetrics, collector: Collector): void {
  const { registry } = metrics;
  const perQueue = (name: string, help: string, count: 'received' | 'stored' | 'deadLettered' | 'duplicates'): void =>
    void counterReadWhenScraped(registry, {
      name,
      help,
      labelNames: ['queue'],
      read: () => [...collector.notificationCounts()].map(([queue, c]): Reading<'queue'> => [{ queue }, c[count]]),
    });
  perQueue('tally_notifications_consumed_total', 'Notifications taken from each queue (queue "http": posted) and handed to processing; a batch delivered again after a failure counts again', 'received');
  perQueue('tally_notifications_stored_total', 'Notifications whose samples and event were stored', 'stored');
  perQueue('tally_notifications_dead_lettered_total', 'Notifications sent to the dead-letter queue (or refused over HTTP): not JSON, or no sample or event could be made of them', 'deadLettered');
  perQueue('tally_notifications_duplicates_total', 'Notifications dropped as stored already (redelivered after a crash or a lost acknowledgement)', 'duplicates');
  if (!collector.consumesBus) return;
  gaugeReadWhenScraped(registry, {
    name: 'tally_amqp_connected',
    help: 'Whether the notification consumer is connected to RabbitMQ and consuming (1) or not (0)',
    read: () => {
      const bus = collector.stats().bus;
      return single(bus?.connected && bus.consuming ? 1 : 0);
    },
  });
  counterReadWhenScraped(registry, {
    name: 'tally_amqp_reconnects_total',
    help: 'Times the notification consumer connected to RabbitMQ again after losing its connection',
    read: () => single(collector.stats().bus?.reconnects ?? 0),
  });
}

/** Each scrape target's health and last scrape duration, as Prometheus records `up` and `scrape_duration_seconds`. */
export function observeScraper(metrics: ProcessMetrics, scraper: PrometheusScraper): void {
  const perTarget = (name: string, help: string, value: (t: ReturnType<PrometheusScraper['targets']>[number]) => number): void =>
    void gaugeReadWhenScraped(metrics.registry, {
      name,
      help,
      // not `job` and `instance`: those are the labels Prometheus gives tally's own series when it scrapes tally
      labelNames: ['scrape_job', 'scrape_instance'],
      // a target not scraped yet has no sample
      read: () =>
        scraper.targets().flatMap((t): Reading<'scrape_job' | 'scrape_instance'>[] => (t.health === 'unknown' ? [] : [[{ scrape_job: t.job, scrape_instance: t.labels.instance ?? t.url }, value(t)]])),
    });
  perTarget('tally_scrape_target_up', 'Whether the last scrape of the target succeeded (1) or not (0)', (t) => (t.health === 'up' ? 1 : 0));
  perTarget('tally_scrape_duration_seconds', 'How long the last scrape of the target took', (t) => t.lastDurationSeconds);
}

/** The embedded database's memory: what it has allocated, and how much of it is resident. */
export function observeSql(metrics: ProcessMetrics, sql: Sql, name: string): void {
  const allocated = sql.embeddedMemory;
  if (!allocated) return;
  metrics.memoryPart(`${name}_wasm_memory_allocated`, allocated);
  // the WASM memory is the one anonymous mapping of exactly its size
  metrics.memoryPart(`${name}_wasm_memory_resident`, () => {
    const size = allocated();
    return residentOf((m) => m.path === '' && m.size === size);
  });
}

/** The store's mapped file, the aggregation thread's heap, and the caches of both engines and the index. */
export function observeStore(metrics: ProcessMetrics, engine: Engine, processor: BackgroundProcessor, index: Index): void {
  const file = engine.storeFile();
  metrics.memoryPart('lmdb_map_resident', () => residentOf((m) => m.path === file));
  // asked between sweeps: a long sweep leaves the thread out of that scrape
  const thread = async (): Promise<ThreadMemory> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      const m = await Promise.race([processor.threadMemory(), new Promise<null>((resolve) => (timer = setTimeout(resolve, 1000, null)))]);
      if (m === null) throw new Error('the aggregation thread did not answer (busy, or no thread of its own)');
      return m;
    } finally {
      clearTimeout(timer);
    }
  };
  metrics.memoryPart('v8_heap_aggregation_thread', async () => (await thread()).heapTotal);
  metrics.memoryPart('v8_external_aggregation_thread', async () => (await thread()).external);
  metrics.cache('metric_states_main_thread', () => engine.caches().metricStates);
  metrics.cache('known_metrics_main_thread', () => engine.caches().knownMetrics);
  metrics.cache('write_keys', () => engine.caches().writeKeys);
  metrics.cache('metric_states_aggregation_thread', async () => (await thread()).caches.metricStates);
  metrics.cache('index_metrics', () => index.metrics.cached);
  observeSql(metrics, index.sql, 'index');
}

/** Aodh's alarm states */
const ALARM_STATES = ['ok', 'alarm', 'insufficient data'];

/** The alarms the evaluator holds, their states, the evaluation cycles and the deliveries of their notifications. */
export function observeAlarms(metrics: ProcessMetrics, alarms: AlarmService): void {
  const { registry } = metrics;
  metrics.cache('alarm_working_set', () => alarms.evaluator.held.workingSet);
  metrics.cache('alarm_last_evaluations', () => alarms.evaluator.held.lastEvaluations);
  gaugeReadWhenScraped(registry, {
    name: 'tally_alarms',
    help: 'Enabled alarms, by state',
    labelNames: ['state'],
    async read() {
      const byState = await alarms.store.enabledByState();
      return [...new Set([...ALARM_STATES, ...byState.keys()])].map((state): Reading<'state'> => [{ state }, byState.get(state) ?? 0]);
    },
  });
  const cycles = new Histogram({
    name: 'tally_alarm_evaluation_duration_seconds',
    help: 'How long each evaluation cycle over the threshold and composite alarms took',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });
  alarms.onCycle = (stats) => cycles.observe(stats.durationMs / 1000);
  const count = (name: string, help: string, read: () => number): void => void counterReadWhenScraped(registry, { name, help, read: () => single(read()) });
  count('tally_alarm_evaluation_cycles_skipped_total', 'Scheduled evaluation cycles skipped because the one before was still running', () => alarms.counts.skippedCycles);
  count('tally_alarm_evaluations_failed_total', 'Alarm evaluations that failed or did not finish within the batch timeout', () => alarms.counts.failedEvaluations);
  count('tally_alarm_transitions_total', 'Alarm state changes made by evaluation and by events firing event alarms', () => alarms.counts.transitions);
  count('tally_alarm_notifications_delivered_total', 'Alarm notifications delivered (webhook, trust, e-mail, log)', () => alarms.delivery.stats().delivered);
  // a failed attempt either gives the notification up or leaves it for another
  count('tally_alarm_notification_retries_total', 'Delivery attempts that failed and were scheduled again', () => {
    const s = alarms.delivery.stats();
    return s.failedAttempts - s.abandoned;
  });
  count('tally_alarm_notifications_failed_total', 'Alarm notifications given up (a permanent failure, or every attempt failed)', () => alarms.delivery.stats().abandoned);
  gaugeReadWhenScraped(registry, {
    name: 'tally_alarm_outbox_entries',
    help: 'Alarm notifications waiting in the outbox (due, or waiting for a retry)',
    read: async () => single((await alarms.store.outboxSummary()).entries),
  });
  gaugeReadWhenScraped(registry, {
    name: 'tally_alarm_outbox_oldest_age_seconds',
    help: 'How long the oldest notification in the outbox has waited (0 when it is empty)',
    read: async () => {
      const { oldestCreated } = await alarms.store.outboxSummary();
      return single(oldestCreated === null ? 0 : Math.max(0, Date.now() / 1000 - oldestCreated / 1e6));
    },
  });
}

/** Each sink's deliveries, its failures and what waits for it in the store's mirror log. */
export function observeSinks(metrics: ProcessMetrics, engine: Engine, sinks: readonly RunningSink[], maxLogBytes: number): void {
  if (sinks.length === 0) return;
  const { registry } = metrics;
  const perSink = (name: string, help: string, value: (s: SinkStats) => number): void =>
    void counterReadWhenScraped(registry, { name, help, labelNames: ['sink'], read: () => sinks.map((s): Reading<'sink'> => [{ sink: s.name }, value(s.stats())]) });
  perSink('tally_sink_measures_sent_total', 'Measures the sink\'s receiver took', (s) => s.sent);
  perSink('tally_sink_measures_skipped_total', 'Measures not sent: their metric was deleted meanwhile, or is no series for this receiver', (s) => s.skipped);
  perSink('tally_sink_measures_rejected_total', 'Measures the receiver refused for good (4xx: too old, out of order), not sent again', (s) => s.rejected);
  perSink('tally_sink_measures_dropped_total', 'Measures given up before delivery to keep the backlog under sink_backlog_max_bytes', (s) => s.dropped);
  perSink('tally_sink_send_failures_total', 'Sends that failed (receiver down, 5xx, timeout) and are retried', (s) => s.failures);
  gaugeReadWhenScraped(registry, {
    name: 'tally_sink_up',
    help: 'Whether the sink\'s last send succeeded (1) or failed (0)',
    labelNames: ['sink'],
    read: () => sinks.map((s): Reading<'sink'> => [{ sink: s.name }, s.stats().up ? 1 : 0]),
  });
  const backlogs = (): Map<string, MirrorBacklog> => new Map(sinks.map((s) => [s.name, engine.mirror.backlog(s.name)]));
  gaugeReadWhenScraped(registry, {
    name: 'tally_sink_backlog_measures',
    help: 'Measures stored but not yet delivered by the sink',
    labelNames: ['sink'],
    read: () => [...backlogs()].map(([sink, b]): Reading<'sink'> => [{ sink }, b.measures]),
  });
  gaugeReadWhenScraped(registry, {
    name: 'tally_sink_backlog_oldest_age_seconds',
    help: 'How long the oldest write not yet delivered by the sink has waited (0 when none waits)',
    labelNames: ['sink'],
    read: () => [...backlogs()].map(([sink, b]): Reading<'sink'> => [{ sink }, b.oldestMs === null ? 0 : Math.max(0, (Date.now() - b.oldestMs) / 1000)]),
  });
  gaugeReadWhenScraped(registry, {
    name: 'tally_sink_backlog_bytes',
    help: 'Bytes the writes waiting for any sink take in the store',
    read: () => single(engine.mirror.bytes()),
  });
  gaugeReadWhenScraped(registry, {
    name: 'tally_sink_backlog_limit_bytes',
    help: 'The backlog\'s bound (sink_backlog_max_bytes): past it, the oldest writes are given up',
    read: () => single(maxLogBytes),
  });
}
