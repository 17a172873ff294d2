/**
 * Scrape benchmark: T exporters (node:http on 127.0.0.1, in a child process
 * so that serving costs neither side's CPU figure) × S series each of
 * node-exporter-like text (counters, gauges, a histogram, Go's float
 * spelling, gzip when asked, values changing from scrape to scrape), scraped
 * by tally's scraper into a real embedded engine + index for a bounded time.
 *
 * Figures:
 * - the parser alone (one target's text, parsed over and over);
 * - capacity: every target scraped back to back (each scrape durable before
 *   the next), series/s and CPU per million series of this process
 *   (process.cpuUsage: the scrape loop, gunzip, the LMDB writer);
 * - paced: the scraper as it runs in tally (scrape_interval 1s, 1s timeout),
 *   CPU per million series and the mean scrape_duration_seconds;
 * - with --prometheus and /usr/bin/prometheus: Prometheus 2.42 scraping the
 *   same exporters at the same pace for the same time, its mean
 *   scrape_duration_seconds and its CPU (process_cpu_seconds_total) per
 *   million series (prometheus_tsdb_head_samples_appended_total).
 * The targets' resources and metrics are created in bulk before timing (the
 * index creates them one by one otherwise: see --onboarding, which times the
 * first scrape of one new target through upsertResourceMetrics).
 * Aggregation does not run during the timed phases (--aggregate runs it on
 * its thread, as tally does, and reports what waits when scraping stops).
 *
 *   node --import tsx bench/scrape.ts [--short] [--prometheus] [--targets 20]
 *        [--series 10000] [--seconds 30] [--no-gzip] [--aggregate] [--onboarding]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { SampleBatch, parseExposition } from '../collector/prometheus/exposition-parser.js';
import { parseScrapeConfig } from '../collector/prometheus/scrape-config.js';
import { ScrapeHttpClient } from '../collector/prometheus/scrape-http.js';
import { ScrapeLoop } from '../collector/prometheus/scrape-loop.js';
import { PrometheusScraper, SCRAPE_FLUSH_INTERVAL_MS } from '../collector/prometheus/scraper.js';
import { METRIC_NAME, parseSeries } from '../collector/prometheus/series-labels.js';
import { metricNameOf, resourceOf } from '../collector/prometheus/series-mapping.js';
import { targetsOfGroup } from '../collector/prometheus/targets.js';
import { COLLECTOR_CALLER, TsdbSink } from '../collector/tsdb-sink.js';
import { Engine } from '../tsdb/engine.js';
import { Index } from '../tsdb/index/index.js';
import { tuneRuntime } from '../cli/runtime.js';

// measured as a tally process runs: with its V8 settings
tuneRuntime();

const { values: args } = parseArgs({
  options: {
    short: { type: 'boolean', default: false },
    prometheus: { type: 'boolean', default: false },
    targets: { type: 'string', default: '20' },
    series: { type: 'string', default: '10000' },
    seconds: { type: 'string' },
    'no-gzip': { type: 'boolean', default: false },
    aggregate: { type: 'boolean', default: false },
    onboarding: { type: 'boolean', default: false },
    // internal: run as the exporters' process
    'serve-exporters': { type: 'boolean', default: false },
  },
});
const TARGETS = Number(args.targets);
const SERIES = Number(args.series);
const SECONDS = Number(args.seconds ?? (args.short ? 5 : 30));
const VARIANTS = 4;
const log = (msg: string): void => {
  process.stderr.write(`${msg}\n`);
};

// ---- the exposition: node-exporter-like families, Go's float spelling ----------------------

/** strconv.FormatFloat(v, 'g', -1, 64), as Go exporters print values. */
function goFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  if (v === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(v)));
  if (exp < -4 || exp >= 21 || (exp >= 6 && Number.isInteger(v)) || (exp >= 6 && String(v).replace(/[-.]/g, '').length <= exp + 1)) {
    const [m, e] = v.toExponential().split('e');
    const n = Number(e);
    return `${m}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  return String(v);
}

/** One target's exposition, variant `k` (counters advanced k steps). Deterministic per (target, variant). */
function exposition(target: number, series: number, k: number): string {
  const lines: string[] = [];
  let n = 0;
  let seed = target * 7919 + 1;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const family = (name: string, type: string, help: string): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  };
  const sample = (s: string, v: number): void => {
    if (n >= series) return;
    lines.push(`${s} ${goFloat(v)}`);
    n++;
  };
  family('node_cpu_seconds_total', 'counter', 'Seconds the CPUs spent in each mode.');
  for (let cpu = 0; cpu < 32; cpu++) {
    for (const mode of ['idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user']) {
      sample(`node_cpu_seconds_total{cpu="${cpu}",mode="${mode}"}`, Math.round((rand() * 1e5 + k * rand()) * 100) / 100);
    }
  }
  family('node_load1', 'gauge', '1m load average.');
  sample('node_load1', Math.round(rand() * 400) / 100);
  family('node_memory_MemAvailable_bytes', 'gauge', 'Memory information field MemAvailable_bytes.');
  sample('node_memory_MemAvailable_bytes', Math.floor(rand() * 6e10));
  family('http_request_duration_seconds', 'histogram', 'Latency of HTTP requests.');
  for (const handler of ['/metrics', '/api/v1/query', '/api/v1/query_range', '/-/ready']) {
    let cumulative = 0;
    for (const le of ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf']) {
      cumulative += Math.floor(rand() * 100) + k;
      sample(`http_request_duration_seconds_bucket{handler="${handler}",le="${le}"}`, cumulative);
    }
    sample(`http_request_duration_seconds_sum{handler="${handler}"}`, rand() * cumulative);
    sample(`http_request_duration_seconds_count{handler="${handler}"}`, cumulative);
  }
  const fsFamilies = ['avail_bytes', 'free_bytes', 'size_bytes', 'files', 'files_free', 'readonly'];
  for (const f of fsFamilies) {
    family(`node_filesystem_${f}`, 'gauge', `Filesystem ${f}.`);
    for (let d = 0; d < 40; d++) sample(`node_filesystem_${f}{device="/dev/vd${String.fromCharCode(97 + (d % 26))}${d}",fstype="ext4",mountpoint="/srv/volume-${d}"}`, Math.floor(rand() * 1e12));
  }
  const diskFamilies = ['reads_completed_total', 'writes_completed_total', 'read_bytes_total', 'written_bytes_total', 'io_time_seconds_total'];
  for (const f of diskFamilies) {
    family(`node_disk_${f}`, 'counter', `Disk ${f}.`);
    for (let d = 0; d < 40; d++) sample(`node_disk_${f}{device="vd${d}"}`, Math.floor(rand() * 1e10) + k * 1000);
  }
  const netFamilies = ['receive_bytes_total', 'transmit_bytes_total', 'receive_packets_total', 'transmit_packets_total', 'receive_errs_total', 'transmit_errs_total', 'receive_drop_total', 'transmit_drop_total'];
  const devices = Math.ceil(Math.max(0, series - n) / netFamilies.length);
  for (const f of netFamilies) {
    family(`node_network_${f}`, 'counter', `Network device statistic ${f}.`);
    for (let d = 0; d < devices; d++) {
      const id = (target * 100_003 + d).toString(16).padStart(8, '0');
      sample(`node_network_${f}{device="tap${id}-${(d % 256).toString(16).padStart(2, '0')}"}`, Math.floor(rand() * 1e12) + k * 1500);
    }
  }
  return `${lines.join('\n')}\n`;
}

// ---- the exporters' process --------------------------------------------------------------

async function serveExporters(): Promise<void> {
  const servers: Server[] = [];
  const ports: number[] = [];
  for (let t = 0; t < TARGETS; t++) {
    const variants = Array.from({ length: VARIANTS }, (_, k) => {
      const text = Buffer.from(exposition(t, SERIES, k));
      return { text, gzip: gzipSync(text) };
    });
    let next = 0;
    const server = createServer((req, res) => {
      const v = variants[next++ % VARIANTS];
      const gzip = !args['no-gzip'] && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', ...(gzip ? { 'Content-Encoding': 'gzip' } : {}) });
      res.end(gzip ? v.gzip : v.text);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const a = server.address();
    ports.push(typeof a === 'object' && a !== null ? a.port : 0);
    servers.push(server);
  }
  process.stdout.write(`${JSON.stringify(ports)}\n`);
  // until the parent goes away
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

async function startExporters(): Promise<{ ports: number[]; child: ChildProcess }> {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ['--import', 'tsx', self, '--serve-exporters', '--targets', String(TARGETS), '--series', String(SERIES), ...(args['no-gzip'] ? ['--no-gzip'] : [])], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`exporters exited with ${code}`)));
  });
  return { ports: JSON.parse(line) as number[], child };
}

// ---- phases --------------------------------------------------------------------------------

/** CPU seconds a process has used (Linux /proc), for the exporters' share of the machine. */
function processCpu(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const cpuSeconds = (since: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
};

function parserAlone(): { seriesPerSecond: number; mbPerSecond: number } {
  const text = exposition(0, SERIES, 0);
  const batch = new SampleBatch();
  const until = performance.now() + Math.min(SECONDS, 5) * 1000;
  let series = 0;
  let bytes = 0;
  const t0 = performance.now();
  while (performance.now() < until) {
    parseExposition(text, 'prometheus', batch);
    series += batch.length;
    bytes += text.length;
  }
  const dt = (performance.now() - t0) / 1000;
  return { seriesPerSecond: series / dt, mbPerSecond: bytes / dt / 1e6 };
}

/** The targets' resources and metrics, created in bulk as the first scrape would (same names, same rule-given policy). */
async function precreate(index: Index, engine: Engine, ports: readonly number[]): Promise<void> {
  await index.resourceTypes.create('prometheus', resourceOf('x', 'y', '').typeAttributes ?? {}).catch(() => undefined);
  const policyName = await index.archivePolicies.policyForMetricName('node_load1');
  const policy = await index.archivePolicies.get(policyName);
  if (!policy) throw new Error(`no archive policy ${policyName}`);
  const text = exposition(0, SERIES, 0);
  const batch = new SampleBatch();
  for (let t = 0; t < ports.length; t++) {
    const instance = `127.0.0.1:${ports[t]}`;
    const r = resourceOf('bench', instance, COLLECTOR_CALLER.creator);
    await index.resources.create('prometheus', { id: r.id, originalResourceId: r.originalId, creator: COLLECTOR_CALLER.creator, attributes: r.attributes, metrics: {} });
    parseExposition(t === 0 ? text : exposition(t, SERIES, 0), 'prometheus', batch);
    const names = ['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling', 'scrape_series_added'];
    for (let i = 0; i < batch.length; i++) {
      const labels = parseSeries(batch.keys[i]);
      labels.set('job', 'bench');
      labels.set('instance', instance);
      if (labels.get(METRIC_NAME)) names.push(metricNameOf(labels));
    }
    const ids = names.map(() => randomUUID());
    for (let i = 0; i < names.length; i += 1000) {
      const rows = names.slice(i, i + 1000);
      const values: string[] = [];
      const params: unknown[] = [];
      rows.forEach((name, j) => {
        const p = params.length;
        values.push(`($${p + 1}::uuid, $${p + 2}, $${p + 3}, $${p + 4}::uuid, $${p + 5}, NULL)`);
        params.push(ids[i + j], policyName, COLLECTOR_CALLER.creator, r.id, name);
      });
      await index.sql.query(`INSERT INTO metric (id, archive_policy_name, creator, resource_id, name, unit) VALUES ${values.join(', ')}`, params);
    }
    for (let i = 0; i < ids.length; i += 2000) await Promise.all(ids.slice(i, i + 2000).map((id) => engine.createMetric(id, policy)));
    log(`  target ${t + 1}/${ports.length}: ${names.length} metrics`);
  }
}

interface Run {
  series: number;
  seconds: number;
  cpu: number;
  scrapes: number;
  failed: number;
  meanDuration: number;
  addMeasuresCalls: number;
  indexLookups: number;
}

/** Every target scraped back to back for `seconds` (the store taking what came meanwhile at each write); timed until all is durable. */
async function capacity(loops: readonly ScrapeLoop[], sink: TsdbSink, seconds: number): Promise<Run> {
  const stats0 = { ...sink.stats };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  let series = 0;
  let scrapes = 0;
  let failed = 0;
  let durations = 0;
  await Promise.all(
    loops.map(async (loop) => {
      while (performance.now() < until) {
        await loop.scrape();
        scrapes++;
        durations += loop.lastDurationSeconds;
        if (loop.health === 'up') series += loop.lastSamples;
        else failed++;
      }
    }),
  );
  await sink.flush(); // counted only once durable
  const dt = (performance.now() - t0) / 1000;
  return {
    series,
    seconds: dt,
    cpu: cpuSeconds(cpu0),
    scrapes,
    failed,
    meanDuration: durations / scrapes,
    addMeasuresCalls: sink.stats.addMeasuresCalls - stats0.addMeasuresCalls,
    indexLookups: sink.stats.indexLookups - stats0.indexLookups,
  };
}

/** tally's scraper as configured in production: a 1 s interval per target, for `seconds`; CPU counted until all is durable. */
async function paced(scraper: PrometheusScraper, sink: TsdbSink, seconds: number): Promise<Run> {
  scraper.start();
  await new Promise((r) => setTimeout(r, 1100)); // every target has had its first, offset, scrape
  const stats0 = { ...sink.stats };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let durations = 0;
  let count = 0;
  let failed = 0;
  let series = 0;
  const seen = new Map<ScrapeLoop, number>();
  const timer = setInterval(() => {
    for (const l of scraper.loops()) {
      if (seen.get(l) === l.lastScrape) continue;
      seen.set(l, l.lastScrape);
      durations += l.lastDurationSeconds;
      count++;
      if (l.health !== 'up') failed++;
      else series += l.lastSamples;
    }
  }, 100);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  clearInterval(timer);
  const dt = (performance.now() - t0) / 1000;
  await scraper.stop(); // the last scrapes written
  return {
    series,
    seconds: dt,
    cpu: cpuSeconds(cpu0),
    scrapes: count,
    failed,
    meanDuration: durations / Math.max(1, count),
    addMeasuresCalls: sink.stats.addMeasuresCalls - stats0.addMeasuresCalls,
    indexLookups: sink.stats.indexLookups - stats0.indexLookups,
  };
}

async function prometheusRun(ports: readonly number[], seconds: number): Promise<{ series: number; seconds: number; cpu: number; meanDuration: number } | null> {
  const bin = '/usr/bin/prometheus';
  if (!existsSync(bin)) {
    log('bench: /usr/bin/prometheus not found, skipping Prometheus');
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), 'tally-bench-prometheus-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global: { scrape_interval: 1s, scrape_timeout: 1s }\nscrape_configs:\n  - job_name: bench\n    static_configs: [{ targets: [${ports.map((p) => `'127.0.0.1:${p}'`).join(', ')}] }]\n`,
  );
  const child = spawn(bin, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  try {
    const metrics = async (): Promise<Map<string, number>> => {
      const text = await (await fetch(`${url}/metrics`)).text();
      const out = new Map<string, number>();
      for (const l of text.split('\n')) if (l && !l.startsWith('#')) out.set(l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1)));
      return out;
    };
    const query = async (q: string): Promise<number> => {
      const body = (await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent(q)}`)).json()) as { data: { result: { value: [number, string] }[] } };
      return Number(body.data.result[0]?.value[1] ?? NaN);
    };
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${url}/-/ready`)).ok) break;
      } catch {
        // starting
      }
      if (i > 200) throw new Error('Prometheus did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    // warm up: every target scraped (series created in its head) before timing
    await new Promise((r) => setTimeout(r, 5000));
    const m0 = await metrics();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const m1 = await metrics();
    const dt = (performance.now() - t0) / 1000;
    const meanDuration = await query(`avg(avg_over_time(scrape_duration_seconds{job="bench"}[${Math.max(2, Math.floor(seconds))}s]))`);
    // prometheus_tsdb_head_samples_appended_total{type="float"} (2.42 counts histograms apart)
    const total = (m: Map<string, number>): number => {
      let sum = 0;
      for (const [k, v] of m) if (k === 'prometheus_tsdb_head_samples_appended_total' || k.startsWith('prometheus_tsdb_head_samples_appended_total{')) sum += v;
      return sum;
    };
    const appended = total(m1) - total(m0);
    return { series: appended, seconds: dt, cpu: (m1.get('process_cpu_seconds_total') ?? 0) - (m0.get('process_cpu_seconds_total') ?? 0), meanDuration };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- main ----------------------------------------------------------------------------------

async function main(): Promise<void> {
  log(`bench: ${TARGETS} exporters × ${SERIES} series, ${SECONDS} s per phase${args['no-gzip'] ? ', no gzip' : ', gzip'}`);
  const parser = parserAlone();
  log(`bench: parser alone ${Math.round(parser.seriesPerSecond)} series/s`);

  const { ports, child } = await startExporters();
  const dir = mkdtempSync(join(tmpdir(), 'tally-bench-scrape-'));
  const engine = Engine.open({ path: join(dir, 'tsdb') });
  const index = await Index.open(join(dir, 'index'));
  const rows: [string, string, string][] = [];
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  const perMillion = (cpu: number, series: number): string => (series > 0 ? ((cpu / series) * 1e6).toFixed(2) : '-');
  try {
    log('bench: creating the targets\' resources and metrics');
    const c0 = performance.now();
    await precreate(index, engine, ports);
    log(`bench: created in ${((performance.now() - c0) / 1000).toFixed(1)} s`);
    const processor = args.aggregate ? engine.startProcessor({ intervalMs: 1000, thread: true }) : null;
    const config = parseScrapeConfig(
      { scrape_configs: [{ job_name: 'bench', scrape_interval: '1s', scrape_timeout: '1s', static_configs: [{ targets: ports.map((p) => `127.0.0.1:${p}`) }] }] },
      'bench',
      dir,
    );
    const job = config.jobs[0];

    // capacity: back-to-back scrapes (timeouts of 10 s: a saturated machine answers late)
    const sink = new TsdbSink(engine, index, { minFlushIntervalMs: SCRAPE_FLUSH_INTERVAL_MS });
    const http = new ScrapeHttpClient();
    const loops = targetsOfGroup({ ...job, scrapeIntervalMs: 10_000, scrapeTimeoutMs: 10_000 }, job.staticConfigs[0]).targets.map(
      (t) => new ScrapeLoop(t, { sink, http, log: { info: log, warn: log, error: log } }),
    );
    const w0 = performance.now();
    await Promise.all(loops.map((l) => l.scrape()));
    await sink.flush();
    log(`bench: first scrape of every target (cold caches) ${((performance.now() - w0) / 1000).toFixed(1)} s, ${sink.stats.indexLookups} index lookups`);
    await Promise.all(loops.map((l) => l.scrape()));
    await sink.flush(); // caches warm, everything durable: the timed phase starts clean
    const exporterCpu0 = processCpu(child.pid);
    const cap = await capacity(loops, sink, SECONDS);
    const exporterCpu = processCpu(child.pid) - exporterCpu0;
    http.close();
    log(`bench: engine ${(sink.stats.engineBusyMs / sink.stats.entries * 1000).toFixed(1)} µs of this thread per metric entry, ${(sink.stats.measures / sink.stats.entries).toFixed(1)} measures per entry`);
    log(`bench: capacity ${fmt(cap.series / cap.seconds)} series/s (${cap.scrapes} scrapes, ${cap.failed} failed, ${cap.addMeasuresCalls} addMeasures calls, ${cap.indexLookups} index lookups)`);

    // paced like production, then Prometheus at the same pace
    // the same (warm) sink: a new one would first look every metric up again
    const scraper = new PrometheusScraper({ config, sink, log: { info: log, warn: log, error: log } });
    const run = await paced(scraper, sink, SECONDS);
    log(`bench: paced ${fmt(run.series / run.seconds)} series/s, ${run.failed} failed scrapes`);
    // with aggregation: did it keep up? what waits when scraping stops, and how long it takes to fold
    let drain: { waiting: number; seconds: number } | null = null;
    if (processor) {
      const waiting = engine.pendingEntries();
      const d0 = performance.now();
      for (let i = 0; i < 1200 && engine.pendingEntries() > 0; i++) await new Promise((r) => setTimeout(r, 100));
      drain = { waiting, seconds: (performance.now() - d0) / 1000 };
    }
    await processor?.stop();
    const prom = args.prometheus ? await prometheusRun(ports, SECONDS) : null;

    rows.push(['series/s parsed (parser alone, one core)', fmt(parser.seriesPerSecond), '']);
    rows.push(['parser throughput, MB/s of text', parser.mbPerSecond.toFixed(0), '']);
    rows.push(['capacity: series/s scraped + durable (back to back)', fmt(cap.series / cap.seconds), '']);
    rows.push(['capacity: CPU s per million series', perMillion(cap.cpu, cap.series), '']);
    rows.push(['capacity: mean scrape_duration_seconds', cap.meanDuration.toFixed(4), '']);
    rows.push(['capacity: scrapes per addMeasures call', (cap.scrapes / Math.max(1, cap.addMeasuresCalls)).toFixed(1), '']);
    rows.push(['capacity: the exporters\' process, CPU s per s', (exporterCpu / cap.seconds).toFixed(2), '']);
    rows.push(['paced 1 s: series/s', fmt(run.series / run.seconds), prom ? fmt(prom.series / prom.seconds) : '']);
    rows.push(['paced 1 s: CPU s per million series', perMillion(run.cpu, run.series), prom ? perMillion(prom.cpu, prom.series) : '']);
    rows.push(['paced 1 s: mean scrape_duration_seconds', run.meanDuration.toFixed(4), prom ? prom.meanDuration.toFixed(4) : '']);
    rows.push(['paced 1 s: index lookups in steady state', String(run.indexLookups), '']);
    if (drain) {
      rows.push(['--aggregate: metric entries waiting when scraping stopped', fmt(drain.waiting), '']);
      rows.push(['--aggregate: seconds until all were aggregated', drain.seconds.toFixed(1), '']);
    }

    if (args.onboarding) {
      const fresh = new TsdbSink(engine, index);
      const t = targetsOfGroup({ ...job, jobName: 'onboarding', scrapeTimeoutMs: 10_000, scrapeIntervalMs: 10_000 }, { ...job.staticConfigs[0], targets: [`127.0.0.1:${ports[0]}`] }).targets[0];
      const c = new ScrapeHttpClient();
      const o0 = performance.now();
      await new ScrapeLoop(t, { sink: fresh, http: c, log: { info: log, warn: log, error: log } }).scrape();
      c.close();
      rows.push([`first scrape of a new ${SERIES}-series target, s`, ((performance.now() - o0) / 1000).toFixed(1), '']);
    }
  } finally {
    child.stdin?.end();
    await engine.close();
    await index.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const w = Math.max(...rows.map((r) => r[0].length));
  console.log(`\n${TARGETS} targets × ${SERIES} series, ${SECONDS} s per phase, ${args['no-gzip'] ? 'plain' : 'gzip'} bodies\n`);
  console.log(`| ${'figure'.padEnd(w)} | tally | ${args.prometheus ? 'Prometheus 2.42 |' : ''}`);
  console.log(`| ${'-'.repeat(w)} | ----- | ${args.prometheus ? '--------------- |' : ''}`);
  for (const [k, a, b] of rows) console.log(`| ${k.padEnd(w)} | ${a} | ${args.prometheus ? `${b} |` : ''}`);
}

if (args['serve-exporters']) await serveExporters();
else await main();
