/**
 * The Prometheus scraper: runs one ScrapeLoop per target of every job of the
 * scrape configuration, targets coming from static_configs and file_sd_configs
 * (kept in step with their files: new targets start, vanished ones stop,
 * unchanged ones go on undisturbed), and writes through a TsdbSink.
 */
import type { Engine } from '../../tsdb/engine.js';
import type { Index } from '../../tsdb/index/index.js';
import { TsdbSink } from '../tsdb-sink.js';
import { type DiscoveredGroup, FileDiscovery } from './file-sd.js';
import { type Health, ScrapeLoop, type ScrapeLog } from './scrape-loop.js';
import { type ScrapeConfig, type ScrapeJob, loadScrapeConfig } from './scrape-config.js';
import { ScrapeHttpClient } from './scrape-http.js';
import { type Target, targetsOfGroup } from './targets.js';

export type { ScrapeLog } from './scrape-loop.js';

export interface TargetStatus {
  readonly job: string;
  readonly url: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly health: Health;
  readonly lastError: string;
  readonly lastScrape: number;
  readonly lastDurationSeconds: number;
  readonly lastSamples: number;
}

export interface ScraperOptions {
  readonly config: ScrapeConfig;
  readonly sink: TsdbSink;
  readonly log?: ScrapeLog;
  readonly userAgent?: string;
}

const consoleLog: ScrapeLog = {
  info: (m) => console.log(m),
  warn: (m) => console.warn(m),
  error: (m) => console.error(m),
};

interface JobState {
  readonly job: ScrapeJob;
  /** per source (static, or file_sd config index): the targets it gives */
  readonly bySource: Map<string, Target[]>;
  readonly loops: Map<string, ScrapeLoop>;
  readonly discoveries: FileDiscovery[];
}

export class PrometheusScraper {
  readonly config: ScrapeConfig;
  readonly sink: TsdbSink;
  private readonly log: ScrapeLog;
  private readonly http: ScrapeHttpClient;
  private readonly jobs: JobState[] = [];
  private started = false;
  private stopped = false;

  constructor(options: ScraperOptions) {
    this.config = options.config;
    this.sink = options.sink;
    this.log = options.log ?? consoleLog;
    this.http = new ScrapeHttpClient(options.userAgent);
  }

  /** Reads the file_sd files once and starts every target's loop. */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const job of this.config.jobs) {
      const state: JobState = { job, bySource: new Map(), loops: new Map(), discoveries: [] };
      this.jobs.push(state);
      const groups = job.staticConfigs.map((group) => ({ group, discoveryLabels: {} }));
      this.setSource(state, 'static', groups, false);
      job.fileSdConfigs.forEach((sd, i) => {
        const discovery = new FileDiscovery(
          sd,
          (found) => this.setSource(state, `file_sd_configs[${i}]`, found, true),
          (message) => this.log.error(`prometheus scrape job ${job.jobName}: ${message}`),
        );
        state.discoveries.push(discovery);
        discovery.start();
      });
    }
  }

  /** Stops discovery and every loop (a scrape in progress is abandoned), then writes what was scraped. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const state of this.jobs) for (const d of state.discoveries) d.stop();
    await Promise.all(this.jobs.flatMap((s) => [...s.loops.values()].map((l) => l.stop())));
    this.http.close();
    await this.sink.flushNow().catch((err: unknown) => this.log.error(`prometheus scrape: writing the last samples failed: ${(err as Error).message}`));
  }

  get jobCount(): number {
    return this.config.jobs.length;
  }

  get targetCount(): number {
    let n = 0;
    for (const s of this.jobs) n += s.loops.size;
    return n;
  }

  targets(): TargetStatus[] {
    return this.jobs.flatMap((s) =>
      [...s.loops.values()].map((l) => ({
        job: s.job.jobName,
        url: l.target.url,
        labels: Object.fromEntries(l.target.labels),
        health: l.health,
        lastError: l.lastError,
        lastScrape: l.lastScrape,
        lastDurationSeconds: l.lastDurationSeconds,
        lastSamples: l.lastSamples,
      })),
    );
  }

  /** The loops, for benchmarks and tests that drive scrapes themselves. */
  loops(): ScrapeLoop[] {
    return this.jobs.flatMap((s) => [...s.loops.values()]);
  }

  private setSource(state: JobState, source: string, groups: readonly DiscoveredGroup[], announce: boolean): void {
    if (this.stopped) return;
    const targets: Target[] = [];
    for (const { group, discoveryLabels } of groups) {
      const r = targetsOfGroup(state.job, group, discoveryLabels);
      for (const e of r.errors) this.log.error(`prometheus scrape job ${state.job.jobName}: ${e}`);
      targets.push(...r.targets);
    }
    state.bySource.set(source, targets);
    const wanted = new Map<string, Target>();
    for (const ts of state.bySource.values()) for (const t of ts) if (!wanted.has(t.key)) wanted.set(t.key, t);
    let changed = false;
    for (const [key, loop] of state.loops) {
      if (wanted.has(key)) continue;
      state.loops.delete(key);
      void loop.stop();
      changed = true;
    }
    for (const [key, target] of wanted) {
      if (state.loops.has(key)) continue;
      const loop = new ScrapeLoop(target, { sink: this.sink, http: this.http, log: this.log });
      state.loops.set(key, loop);
      loop.start();
      changed = true;
    }
    if (changed && announce) this.log.info(`prometheus scrape job ${state.job.jobName}: ${state.loops.size} targets`);
  }
}

/**
 * Scraped samples wait at most about this long to be written: one durable
 * write a second carries every target's scrapes of that second.
 */
export const SCRAPE_FLUSH_INTERVAL_MS = 1000;

/** Starts scraping into the store, writing as the collector; `config` is a loaded configuration or its file. */
export function startPrometheusScraper(options: { config: ScrapeConfig | string; engine: Engine; index: Index; log?: ScrapeLog }): PrometheusScraper {
  const scraper = new PrometheusScraper({
    config: typeof options.config === 'string' ? loadScrapeConfig(options.config) : options.config,
    sink: new TsdbSink(options.engine, options.index, { minFlushIntervalMs: SCRAPE_FLUSH_INTERVAL_MS }),
    log: options.log,
  });
  scraper.start();
  return scraper;
}
