/**
 * The scrape loop of one target: every interval (first at an offset derived
 * from the target, so targets spread over the interval as in Prometheus),
 * fetch, parse, map and hand the samples to the sink; the next scrape is
 * scheduled once this one is parsed, so scrapes of a target never overlap.
 * Writing is not waited for: the sink makes everything appended durable in
 * one addMeasures call at a time, and the next write takes all the scrapes
 * that came meanwhile. Only when more than MAX_PENDING measures wait does a
 * scrape wait for the store (back-pressure).
 *
 * Per target it keeps a cache from the series text as exposed to where the
 * series goes (a MetricSlot of the sink, or nowhere when relabelling dropped
 * it), so a steady-state scrape does per sample: compare the series text
 * with the previous scrape's at the same position (exporters keep their
 * order), else one Map lookup, then push the value. New series go through
 * label parsing, honor_labels, metric_relabel_configs and the mapping once.
 *
 * Like Prometheus it writes, per scrape, `up` (1 or 0),
 * `scrape_duration_seconds`, `scrape_samples_scraped`,
 * `scrape_samples_post_metric_relabeling` and `scrape_series_added`, with
 * the target's labels; a failed scrape (HTTP error, timeout, bad exposition,
 * sample limit) writes no sample but those. NaN and ±Inf samples are skipped
 * (the store keeps finite numbers). Health changes are logged once each.
 */
import type { MetricSlot, TsdbSink } from '../tsdb-sink.js';
import { formatOfContentType, parseExposition } from './exposition-parser.js';
import { relabel } from './relabel.js';
import { SampleBatch } from './sample-batch.js';
import type { ScrapeHttpClient } from './scrape-http.js';
import { type Labels, METRIC_NAME, parseSeries } from './series-labels.js';
import { type ResourceUpsert, metricNameOf, resourceOfSeries } from './series-mapping.js';
import type { Target } from './targets.js';

export interface ScrapeLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export type Health = 'unknown' | 'up' | 'down';

interface SeriesEntry {
  /** the series text, a copy owned by the cache (a slice would keep the whole scraped text alive) */
  readonly key: string;
  /** null: dropped by relabelling, or left without a metric name */
  readonly slot: MetricSlot | null;
  /** the last scrape that had it */
  seen: number;
}

export interface ScrapeLoopDeps {
  readonly sink: TsdbSink;
  readonly http: ScrapeHttpClient;
  readonly log: ScrapeLog;
}

/** measures waiting for the store above which a scrape waits for them to be written */
export const MAX_PENDING = 4_000_000;

const REPORT_SERIES = ['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling', 'scrape_series_added'] as const;

/** A copy of a string that shares no memory with the text it was sliced from. */
function ownCopy(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

/** Deterministic 32-bit FNV-1a of the target's identity: its scrape offset in the interval. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class ScrapeLoop {
  readonly target: Target;
  private readonly deps: ScrapeLoopDeps;
  private readonly batch = new SampleBatch(1024);
  private readonly cache = new Map<string, SeriesEntry>();
  /** entries[i]: the entry of the series at index i in the last processed scrape */
  private entries: (SeriesEntry | undefined)[] = [];
  private readonly resources = new Map<string, ResourceUpsert>();
  private readonly report: MetricSlot[];
  private iteration = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private readonly stopController = new AbortController();
  private stopped = false;
  private storeFailing = false;

  health: Health = 'unknown';
  lastError = '';
  /** ms since the Epoch of the last scrape's start */
  lastScrape = 0;
  lastDurationSeconds = 0;
  lastSamples = 0;

  constructor(target: Target, deps: ScrapeLoopDeps) {
    this.target = target;
    this.deps = deps;
    this.report = REPORT_SERIES.map((name) => {
      const labels: Labels = new Map(target.labels);
      labels.set(METRIC_NAME, name);
      return deps.sink.slot(this.resourceOf(labels), metricNameOf(labels));
    });
  }

  /** Starts scraping at this target's offset in the interval. */
  start(): void {
    const interval = this.target.intervalMs;
    const now = Date.now();
    const offset = (hash32(this.target.key) % interval) - (now % interval);
    this.schedule(offset < 0 ? offset + interval : offset);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const started = performance.now();
      this.running = this.scrape().then(() => {
        this.running = null;
        const interval = this.target.intervalMs;
        const elapsed = performance.now() - started;
        // a scrape that overran its interval skips the missed ticks
        this.schedule(interval - (elapsed % interval));
      });
    }, delayMs);
  }

  /** Stops the loop: a scrape in progress is aborted; the samples of those before are the sink's to write. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.stopController.abort();
    await this.running;
  }

  /**
   * One scrape, its samples handed to the sink when it resolves (durable
   * with the sink's next flush); never rejects.
   */
  async scrape(): Promise<void> {
    if (this.deps.sink.pendingMeasures > MAX_PENDING) await this.deps.sink.flush().catch(() => undefined);
    const startMs = Date.now();
    const t0 = performance.now();
    const startMicros = startMs * 1000;
    const job = this.target.job;
    let error = '';
    let scraped = 0;
    let kept = 0;
    let added = 0;
    let duration = 0;
    try {
      const body = await this.deps.http.fetch(this.target.url, this.target.timeoutMs, this.stopController.signal);
      duration = (performance.now() - t0) / 1000;
      if (this.stopped) return;
      const batch = this.batch;
      parseExposition(body.text, formatOfContentType(body.contentType), batch);
      scraped = batch.length;
      const it = ++this.iteration;
      const entries = this.entries;
      const keys = batch.keys;
      const same = batch.same;
      for (let k = 0; k < scraped; k++) {
        let e = same[k] === 1 ? entries[k] : undefined;
        if (e === undefined) {
          const key = keys[k];
          e = this.cache.get(key);
          if (e === undefined) {
            e = this.newEntry(key);
            added++;
          }
          keys[k] = e.key;
          entries[k] = e;
        }
        e.seen = it;
        if (e.slot !== null) kept++;
      }
      if (job.sampleLimit > 0 && kept > job.sampleLimit) throw new Error(`sample limit exceeded: ${kept} samples, limit ${job.sampleLimit}`);
      const values = batch.values;
      const timestamps = batch.timestamps;
      const honorTimestamps = job.honorTimestamps;
      const sink = this.deps.sink;
      for (let k = 0; k < scraped; k++) {
        const slot = (entries[k] as SeriesEntry).slot;
        const v = values[k];
        if (slot === null || v - v !== 0) continue; // NaN, ±Inf: the store keeps finite numbers
        const ts = timestamps[k];
        sink.append(slot, honorTimestamps && ts === ts ? Math.round(ts * 1000) : startMicros, v);
      }
      if (this.cache.size > scraped) this.evict(it);
    } catch (err) {
      if (this.stopped) return;
      error = (err as Error).message;
      duration = (performance.now() - t0) / 1000;
      this.entries = []; // they may no longer match the batch's keys
    }
    const up = error === '' ? 1 : 0;
    const r = this.report;
    const sink = this.deps.sink;
    sink.append(r[0], startMicros, up);
    sink.append(r[1], startMicros, duration);
    sink.append(r[2], startMicros, scraped);
    sink.append(r[3], startMicros, up ? kept : 0);
    sink.append(r[4], startMicros, up ? added : 0);
    this.lastScrape = startMs;
    this.lastDurationSeconds = duration;
    this.lastSamples = up ? kept : 0;
    this.lastError = error;
    this.setHealth(up ? 'up' : 'down', error);
    void sink.flush().then(
      () => {
        if (this.storeFailing) this.deps.log.info(`prometheus scrape ${this.describe()}: writing to the store works again`);
        this.storeFailing = false;
      },
      (err: unknown) => {
        if (!this.storeFailing) this.deps.log.error(`prometheus scrape ${this.describe()}: writing to the store failed: ${(err as Error).message}`);
        this.storeFailing = true;
      },
    );
  }

  private describe(): string {
    return `job ${this.target.job.jobName} target ${this.target.url}`;
  }

  private setHealth(health: Health, error: string): void {
    const before = this.health;
    this.health = health;
    if (health === before) return;
    if (health === 'down') this.deps.log.warn(`prometheus scrape ${this.describe()} is down: ${error}`);
    else if (before === 'down') this.deps.log.info(`prometheus scrape ${this.describe()} is up again`);
  }

  /** The cache entry of a series seen for the first time. */
  private newEntry(exposed: string): SeriesEntry {
    const key = ownCopy(exposed);
    const labels = parseSeries(key);
    this.applyTargetLabels(labels);
    let slot: MetricSlot | null = null;
    if (relabel(labels, this.target.job.metricRelabelConfigs)) {
      for (const [k, v] of labels) if (v === '') labels.delete(k);
      if (labels.has(METRIC_NAME)) slot = this.deps.sink.slot(this.resourceOf(labels), metricNameOf(labels));
    }
    const entry: SeriesEntry = { key, slot, seen: 0 };
    this.cache.set(key, entry);
    return entry;
  }

  /**
   * The target's labels onto a scraped series, as Prometheus' honor_labels
   * decides: true, the series' own labels win; false, the target's win and
   * a clashing scraped label is kept as `exported_<name>`.
   */
  private applyTargetLabels(labels: Labels): void {
    const targetLabels = this.target.labels;
    if (this.target.job.honorLabels) {
      for (const [k, v] of targetLabels) if (!labels.get(k)) labels.set(k, v);
      return;
    }
    const clashes: [string, string][] = [];
    for (const [k, v] of targetLabels) {
      const exposed = labels.get(k);
      if (exposed) clashes.push([k, exposed]);
      labels.set(k, v);
    }
    clashes.sort((a, b) => a[0].length - b[0].length);
    for (const [k, v] of clashes) {
      let name = `exported_${k}`;
      while (labels.has(name) || targetLabels.has(name)) name = `exported_${name}`;
      labels.set(name, v);
    }
  }

  private resourceOf(labels: Labels): ResourceUpsert {
    const id = `${labels.get('job') ?? 'none'}@${labels.get('instance') ?? 'none'}`;
    let r = this.resources.get(id);
    if (r === undefined) this.resources.set(id, (r = { ...resourceOfSeries(labels, this.deps.sink.caller.creator), projectId: this.target.job.projectId }));
    return r;
  }

  /** Forgets series absent from the last two scrapes, as Prometheus' scrape cache does. */
  private evict(iteration: number): void {
    for (const [key, e] of this.cache) if (e.seen < iteration - 1) this.cache.delete(key);
  }

  /** Series the cache holds (for tests). */
  cachedSeries(): number {
    return this.cache.size;
  }
}
