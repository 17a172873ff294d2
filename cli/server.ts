/**
 * Process assembly: opens the engine and the index, starts background
 * aggregation, serves the API, and shuts all down cleanly on SIGTERM/SIGINT.
 */
import { existsSync } from 'node:fs';
import { diskUsage } from '../exporters/disk-usage.js';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type ApiConfig, buildApi, createHttpApp } from '../tsdb/api/app.js';
import type { AlarmService } from '../alarms/alarm-service.js';
import { ALARM_CAPABILITIES } from '../alarms/api/deps.js';
import { InProcessSource } from '../alarms/evaluator/in-process-source.js';
import { openSql } from '../tsdb/index/sql.js';
import { alarmIndexTarget, gnocchiSource, startAlarmService } from './alarms.js';
import type { AuthMode } from '../tsdb/api/auth.js';
import { KeystoneAuth } from '../tsdb/api/keystone.js';
import { Engine } from '../tsdb/engine.js';
import { Index } from '../tsdb/index/index.js';
import { type Config, checkKeystone, checkNoauthExposure, indexTarget, keystoneServiceOptions, listOf } from './config.js';
import { Collector } from '../collector/collector.js';
import { redactedUrl } from '../collector/amqp/redacted-url.js';
import { untilSignalled } from './until-signalled.js';
import { collectorRoutes } from '../collector/http-ingest.js';
import { observeAlarms, observeCollector, observeIngest, observeScraper, observeSinks, observeSql, observeStore, observeStoreSizes, serveMetrics, sqlSize } from './metrics.js';
import { type ReadinessCheck, serveHealth } from './health.js';
import type { Sql } from '../tsdb/index/sql.js';
import { loadScrapeConfig } from '../collector/prometheus/scrape-config.js';
import { startPrometheusScraper } from '../collector/prometheus/scraper.js';
import { promqlRoutes } from '../promql/http/routes.js';
import { type SinkSettings, sinkSenders, startSinks } from '../exporters/sinks/sinks.js';
import { redactedClientConfig } from '../exporters/sinks/questdb-sink.js';
import { ratingRoutes } from '../rating/api/rating-routes.js';
import { reportRoutes } from '../rating/api/report-routes.js';
import { DEFAULT_METRICS_FILE, type MetricConfig, loadMetricsConfig } from '../rating/config/metrics-config.js';
import { HashMapStore } from '../rating/hashmap/hashmap-store.js';
import { migrateRating } from '../rating/hashmap/schema.js';

export interface RunningServer {
  readonly url: string;
  readonly app: FastifyInstance;
  /** the alarms role, when this process runs it */
  readonly alarms?: AlarmService;
  stop(): Promise<void>;
}

/** keystone mode carries its client (service token, validation cache); the others are names. */
function authModeOf(config: Config): AuthMode {
  if (config.auth_mode !== 'keystone') return config.auth_mode;
  // config may come from code rather than loadConfig: check before opening storage
  checkKeystone(config);
  return new KeystoneAuth({ ...keystoneServiceOptions(config), cacheSeconds: config.keystone_cache_seconds, maxCacheEntries: config.keystone_cache_size });
}

/** What a process runs besides the store and its API. */
export interface Roles {
  /** notifications from RabbitMQ and HTTP; makes Ceilometer's resource types and archive policies at start */
  readonly collector: boolean;
  /** the Aodh v2 API, the evaluator and the notifiers, reading the store in-process */
  readonly alarms?: boolean;
}

/**
 * What a start has opened so far, closed in the reverse order: by stop(), or
 * at once when a later step fails (a port in use, say), so that a process
 * that cannot serve exits rather than holding its storage open.
 */
class Opened {
  private readonly closers: (() => Promise<void>)[] = [];
  private closing: Promise<void> | null = null;

  /** registers the closer of what `value` is, and returns it */
  add<T>(value: T, close: (value: T) => Promise<void> | void): T {
    this.closers.push(async () => close(value));
    return value;
  }

  /** closes everything, the newest first; the first error is rethrown once all are closed */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      let first: unknown = null;
      for (const close of this.closers.reverse()) await close().catch((err: unknown) => void (first ??= err));
      if (first !== null) throw first;
    })());
  }

  /** runs a start; on failure, closes what it opened and rethrows */
  static async start<T>(body: (opened: Opened) => Promise<T>): Promise<T> {
    const opened = new Opened();
    try {
      return await body(opened);
    } catch (err) {
      await opened.close().catch(() => undefined);
      throw err;
    }
  }
}

/** What every listener's HTTP layer takes from the configuration. */
function httpConfig(config: Config, authMode: AuthMode): ApiConfig {
  return {
    authMode,
    maxLimit: config.max_limit,
    logger: { level: config.log_level },
    corsAllowedOrigins: listOf(config.cors_allowed_origin),
    trustProxyHeaders: config.enable_proxy_headers_parsing,
  };
}

/** Whether a database answers: a PostgreSQL server may be down while tally runs; the embedded one is open with the process. */
function sqlAnswers(sql: Sql, what: string): ReadinessCheck {
  if (sql.embeddedMemory) return () => null;
  return async () => {
    try {
      await sql.query('SELECT 1');
      return null;
    } catch (err) {
      return `the ${what} database does not answer: ${(err as Error).message}`;
    }
  };
}

/** The listen step, with a plain word for the usual failure. */
async function listen(app: FastifyInstance, host: string, port: number): Promise<string> {
  try {
    return await app.listen({ host, port });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new Error(`cannot listen on ${host}:${port}: the port is in use by another process (another tally?)`);
    throw err;
  }
}

export async function startServer(config: Config, say: (line: string) => void = console.log, roles: Roles = { collector: true, alarms: true }): Promise<RunningServer> {
  await checkNoauthExposure(config);
  const authMode = authModeOf(config);
  const scrapeConfig = roles.collector && config.prometheus_scrape_config ? loadScrapeConfig(config.prometheus_scrape_config) : null; // checked before storage opens
  const sinkSettings: SinkSettings = { questdbUrl: config.questdb_url, remoteWriteUrl: config.remote_write_url, maxLogBytes: config.sink_backlog_max_bytes };
  const sinkNames = [...sinkSenders(sinkSettings).keys()];
  const ratingMetrics = loadRatingMetrics(config);
  return Opened.start(async (opened) => {
    const engine = opened.add(Engine.open({ path: join(config.data_dir, 'tsdb'), metricCacheSize: config.metric_cache_size }), (e) => e.close());
    const index = opened.add(await Index.open(indexTarget(config), { defaults: config.create_default_archive_policies, pglite: { sharedBuffers: config.pglite_shared_buffers } }), (i) => i.close());
    // sinks: registered before any write is accepted, so each is mirrored; they deliver from the store's log
    const sinks = opened.add(await startSinks({ settings: sinkSettings, engine, index, log: (level, message) => say(`tally: ${level === 'warn' ? 'warning: ' : ''}${message}`) }), (s) => s.stop());
    const processor = opened.add(engine.startProcessor({ intervalMs: config.processing_interval_ms, thread: true }), (p) => p.stop());
    // alarms: on the index's database, reading the store without HTTP
    const alarms: AlarmService | null = roles.alarms ? opened.add(await startAlarmService(config, index.sql, new InProcessSource(engine, index), say), (a) => a.stop()) : null;
    const app = opened.add(await buildApi({ engine, index, v2Capabilities: alarms ? ALARM_CAPABILITIES : undefined, config: httpConfig(config, authMode) }), (a) => a.close());
    const metrics = serveMetrics(app);
    observeStore(metrics, engine, processor, index);
    observeIngest(metrics, engine, processor);
    observeStoreSizes(metrics, { tsdb: () => diskUsage(engine.storeFile()), index: sqlSize(index.sql, indexTarget(config)) });
    if (alarms) observeAlarms(metrics, alarms);
    observeSinks(metrics, engine, sinks.sinks, config.sink_backlog_max_bytes);
    if (alarms) await alarms.register(app, { capabilities: false });
    await app.register(promqlRoutes, { engine, index });
    await registerRating(app, config, ratingMetrics, index.sql, engine, say);
    // the collector: notifications from RabbitMQ (amqp_url) and over HTTP, into the store in-process; its events fire event alarms
    const collector = roles.collector ? opened.add(await Collector.start(engine, index, { ...collectorOptions(config, say), onEvents: alarms?.onEvents }), (c) => c.stop()) : null;
    if (collector) await app.register(collectorRoutes, { collector });
    if (collector) observeCollector(metrics, collector);
    serveHealth(app, [
      () => (engine.isOpen ? null : 'the time-series store is closed'),
      sqlAnswers(index.sql, 'index'),
      () => (collector?.consumesBus && !collector.stats().bus?.connected ? `not connected to RabbitMQ (${redactedUrl(config.amqp_url)})` : null),
    ]);
    const url = await listen(app, config.host, config.port);
    say(`tally: Gnocchi v1 API listening on ${url} (auth: ${authMode instanceof KeystoneAuth ? `keystone, ${authMode.url}` : authMode})`);
    say(`tally: data in ${config.data_dir} (index: ${config.index_url ? 'PostgreSQL' : 'embedded PGlite'}; time series: embedded LMDB)`);
    say('tally: Prometheus HTTP API (PromQL) on the same listener, /api/v1/query');
    say('tally: CloudKitty rating API (hashmap module) on the same listener, /v1/rating');
    if (alarms) say(`tally: Aodh v2 API on the same listener; ${config.evaluation_interval > 0 ? `alarms evaluated every ${config.evaluation_interval} s` : "no scheduled alarm evaluation (evaluation_interval 0)"}`);
    if (collector) say(
      config.amqp_url
        ? `tally: collecting notifications from ${redactedUrl(config.amqp_url)} (exchanges ${config.amqp_exchanges}; queues ${listOf(config.amqp_topics).join(',')}.{${config.amqp_priorities}})`
        : `tally: no RabbitMQ configured (amqp_url): notifications arrive over HTTP only, POST ${url}/collector/notifications`,
    );
    // Prometheus scraping (prometheus_scrape_config): started after the API, stopped first
    const scraper = scrapeConfig ? opened.add(startPrometheusScraper({ config: scrapeConfig, engine, index, log: app.log }), (s) => s.stop()) : null;
    if (scraper) observeScraper(metrics, scraper);
    if (scraper) say(`tally: scraping ${scraper.targetCount} Prometheus targets in ${scraper.jobCount} jobs (${config.prometheus_scrape_config})`);
    if (sinkNames.includes('questdb')) say(`tally: mirroring every measure stored to QuestDB (${redactedClientConfig(config.questdb_url)})`);
    if (sinkNames.includes('remote_write')) say(`tally: forwarding every series by remote write to ${redactedUrl(config.remote_write_url)}`);
    return { url, app, alarms: alarms ?? undefined, stop: () => opened.close() };
  });
}

/** CloudKitty's metrics.yml of rating_metrics, or tally's own; checked before storage opens. */
function loadRatingMetrics(config: Config): readonly MetricConfig[] {
  const file = config.rating_metrics || DEFAULT_METRICS_FILE;
  try {
    return loadMetricsConfig(file);
  } catch (err) {
    throw new Error(`rating_metrics ${file}: ${(err as Error).message}`);
  }
}

/** CloudKitty's rating API: the hashmap rules (in the index's database) and the reports, rated from the store on demand. */
async function registerRating(app: FastifyInstance, config: Config, metrics: readonly MetricConfig[], sql: Sql, engine: Engine, say: (line: string) => void): Promise<void> {
  await migrateRating(sql);
  const store = new HashMapStore(sql);
  await app.register(ratingRoutes, { store });
  await app.register(reportRoutes, { sql, engine, store, metrics, period: config.rating_period, log: (line) => say(`tally: ${line}`) });
}

/**
 * `tally rating`: CloudKitty's rating API alone on its own port (8889,
 * CloudKitty's), reading the store of data_dir and the index. The embedded
 * index is one process's: beside a running all-in-one, put the index in
 * PostgreSQL (index_url), which both then share.
 */
export async function startRatingServer(config: Config, say: (line: string) => void = console.log): Promise<RunningServer> {
  await checkNoauthExposure(config);
  const authMode = authModeOf(config);
  const metrics = loadRatingMetrics(config);
  return Opened.start(async (opened) => {
    const engine = opened.add(Engine.open({ path: join(config.data_dir, 'tsdb'), metricCacheSize: config.metric_cache_size }), (e) => e.close());
    const index = opened.add(await Index.open(indexTarget(config), { defaults: config.create_default_archive_policies, pglite: { sharedBuffers: config.pglite_shared_buffers } }), (i) => i.close());
    const app = opened.add(await createHttpApp(httpConfig(config, authMode)), (a) => a.close());
    app.get('/healthcheck', async () => ({}));
    const metricsEndpoint = serveMetrics(app);
    observeSql(metricsEndpoint, index.sql, 'index');
    serveHealth(app, [() => (engine.isOpen ? null : 'the time-series store is closed'), sqlAnswers(index.sql, 'index')]);
    await registerRating(app, config, metrics, index.sql, engine, say);
    const url = await listen(app, config.host, config.rating_port);
    say(`tally: CloudKitty rating API listening on ${url} (auth: ${authMode instanceof KeystoneAuth ? `keystone, ${authMode.url}` : authMode}); rating ${metrics.length} metrics of ${config.rating_metrics || 'tally\'s metrics.yml'} by ${config.rating_period} s periods`);
    say(`tally: reading the store in ${config.data_dir} (index: ${config.index_url ? 'PostgreSQL' : 'embedded PGlite'})`);
    return { url, app, stop: () => opened.close() };
  });
}

/** Ceilometer's definition files, shipped in collector/data (from cli/ or from dist/cli/). */
const BUILT_IN_DEFINITIONS = join(packageRoot(import.meta.dirname), 'collector', 'data');

/** The folder of the package.json above `dir`. */
function packageRoot(dir: string): string {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json'))) return d;
    if (dirname(d) === d) throw new Error(`no package.json above ${dir}`);
  }
}

function collectorOptions(config: Config, say: (line: string) => void): Parameters<typeof Collector.start>[2] {
  return {
    meterDefinitions: config.meter_definitions ? listOf(config.meter_definitions) : [join(BUILT_IN_DEFINITIONS, 'meters.yaml')],
    eventDefinitions: config.event_definitions || join(BUILT_IN_DEFINITIONS, 'event_definitions.yaml'),
    // Ceilometer's own definitions, then tally's for the agent's meters Ceilometer has none for
    gnocchiResources: config.gnocchi_resources ? listOf(config.gnocchi_resources) : [join(BUILT_IN_DEFINITIONS, 'gnocchi_resources.yaml'), join(BUILT_IN_DEFINITIONS, 'agent_resources.yaml')],
    creator: config.collector_creator,
    resourceCacheSize: config.resource_cache_size,
    amqp: config.amqp_url
      ? {
          url: config.amqp_url,
          exchanges: listOf(config.amqp_exchanges),
          topics: listOf(config.amqp_topics),
          priorities: listOf(config.amqp_priorities),
          durable: config.amqp_durable_queues,
          prefetch: config.amqp_prefetch,
          batchSize: config.amqp_batch_size,
          deadLetterQueue: config.amqp_dead_letter_queue,
        }
      : undefined,
    log: say,
  };
}

/**
 * `tally alarms`: the Aodh v2 API, evaluator and notifiers on their own
 * port, reading any Gnocchi-compatible API over HTTP (gnocchi_url).
 */
export async function startAlarmsServer(config: Config, say: (line: string) => void = console.log): Promise<RunningServer> {
  await checkNoauthExposure(config);
  const authMode = authModeOf(config);
  const source = gnocchiSource(config, authMode instanceof KeystoneAuth ? authMode : null);
  return Opened.start(async (opened) => {
    const sql = opened.add(await openSql(alarmIndexTarget(config), { sharedBuffers: config.pglite_shared_buffers }), (s) => s.close());
    const alarms = opened.add(await startAlarmService(config, sql, source, say), (a) => a.stop());
    const app = opened.add(await createHttpApp(httpConfig(config, authMode)), (a) => a.close());
    app.get('/healthcheck', async () => ({}));
    const metrics = serveMetrics(app);
    observeSql(metrics, sql, 'alarm_index');
    observeAlarms(metrics, alarms);
    observeStoreSizes(metrics, { alarm_index: sqlSize(sql, alarmIndexTarget(config)) });
    serveHealth(app, [sqlAnswers(sql, 'alarm')]);
    await alarms.register(app, { capabilities: true });
    const url = await listen(app, config.host, config.alarms_port);
    say(`tally: Aodh v2 API listening on ${url} (auth: ${authMode instanceof KeystoneAuth ? `keystone, ${authMode.url}` : authMode}); reading ${config.gnocchi_url} (${config.gnocchi_auth_mode})`);
    say(`tally: alarms in ${config.alarm_index_url ? "PostgreSQL" : alarmIndexTarget(config)}; ${config.evaluation_interval > 0 ? `evaluated every ${config.evaluation_interval} s` : "no scheduled evaluation (evaluation_interval 0)"}`);
    return { url, app, alarms, stop: () => opened.close() };
  });
}

/** Runs until SIGTERM or SIGINT, then stops gracefully: requests finish, storage is flushed and closed. */
export async function runUntilSignalled(config: Config, roles?: Roles | 'alarms' | 'rating'): Promise<void> {
  await untilSignalled('tally', () => (roles === 'alarms' ? startAlarmsServer(config) : roles === 'rating' ? startRatingServer(config) : startServer(config, console.log, roles)));
}
