/**
 * PromQL benchmark: dashboard-shaped queries on the same data in tally,
 * Prometheus 2.42 and VictoriaMetrics 1.79, side by side (median of the
 * runs, after one warm-up). Prints a table.
 *
 *   npm run bench:promql [-- --series 10000 --runs 7]
 *
 * The data: `--series` counters `bench_cpu_seconds_total{project, instance}`
 * (20 projects) every 15 s over 1 h; 50 histograms of 10 buckets
 * `bench_request_duration_seconds_bucket{le}` over the same hour; one gauge
 * `bench_long` every 15 s over 30 days. Prometheus gets it backfilled with
 * promtool, VictoriaMetrics through its import API, tally through
 * Prometheus remote write (`/api/v1/write`), with an archive policy keeping
 * `last` at 15 s for 2 days and at 1 h for 60 days, so that the 30-day query
 * is served from the 1 h rollup. Every query is a range query over the HTTP
 * API with the step Grafana would send, VictoriaMetrics's result cache off.
 * Each system runs as its own process on loopback; all stop at the end.
 * Targets (issue 15): at most VictoriaMetrics's latency on every query, and
 * the 30-day query under 50 ms.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort } from '../test/helpers/free-port.js';
import { encodeWriteRequest } from '../tsdb/api/routes/prometheus.js';

const { values: args } = parseArgs({ options: { series: { type: 'string', default: '10000' }, runs: { type: 'string', default: '7' } } });
const SERIES = Number(args.series);
const RUNS = Number(args.runs);
const PROJECTS = 20;
const HISTOGRAMS = 50;
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, Infinity];
const STEP_S = 15;
/** the end of the data: a fixed, whole hour in the past */
const END_S = Date.UTC(2026, 10, 1, 12, 0, 0) / 1000;
const HOUR_S = 3600;
const LONG_S = 30 * 86_400;

const log = (line: string): void => console.error(`[bench:promql] ${line}`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Series {
  readonly labels: Record<string, string>;
  /** seconds */
  readonly times: Float64Array;
  readonly values: Float64Array;
}

/** Deterministic data: a small LCG, so every system gets the same numbers. */
function* dataset(): Generator<Series> {
  let seed = 42;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const points = HOUR_S / STEP_S + 1;
  const hour = (): Float64Array => Float64Array.from({ length: points }, (_, i) => END_S - HOUR_S + i * STEP_S);
  for (let s = 0; s < SERIES; s++) {
    const values = new Float64Array(points);
    let v = random() * 1000;
    for (let i = 0; i < points; i++) values[i] = v += random() * 15;
    yield { labels: { __name__: 'bench_cpu_seconds_total', job: 'bench', instance: `vm-${s}`, project: `p${s % PROJECTS}` }, times: hour(), values };
  }
  for (let h = 0; h < HISTOGRAMS; h++) {
    const counts = BUCKETS.map(() => new Float64Array(points));
    for (let i = 0; i < points; i++) {
      let cumulative = 0;
      for (let b = 0; b < BUCKETS.length; b++) {
        cumulative += Math.floor(random() * 20);
        counts[b][i] = (i === 0 ? 0 : counts[b][i - 1]) + cumulative;
      }
    }
    for (let b = 0; b < BUCKETS.length; b++) {
      const le = BUCKETS[b] === Infinity ? '+Inf' : String(BUCKETS[b]);
      yield { labels: { __name__: 'bench_request_duration_seconds_bucket', job: 'bench', instance: `api-${h}`, le }, times: hour(), values: counts[b] };
    }
  }
  const long = LONG_S / STEP_S + 1;
  yield {
    labels: { __name__: 'bench_long', job: 'bench', instance: 'long' },
    times: Float64Array.from({ length: long }, (_, i) => END_S - LONG_S + i * STEP_S),
    values: Float64Array.from({ length: long }, (_, i) => 500 + 100 * Math.sin(i / 240)),
  };
}

const labelText = (labels: Record<string, string>): string => {
  const { __name__: name, ...rest } = labels;
  return `${name}{${Object.entries(rest).map(([k, v]) => `${k}="${v}"`).join(',')}}`;
};

/** Prometheus text with timestamps (ms), which VictoriaMetrics imports; OpenMetrics (s) for promtool. */
function writeExpositions(dir: string): { openMetrics: string; promText: string } {
  const openMetrics = join(dir, 'data.om');
  const promText = join(dir, 'data.prom');
  const om: string[] = [];
  const pt: string[] = [];
  const flush = (final = false): void => {
    if (om.length > 200_000 || final) {
      writeFileSync(openMetrics, om.join(''), { flag: 'a' });
      writeFileSync(promText, pt.join(''), { flag: 'a' });
      om.length = 0;
      pt.length = 0;
    }
  };
  // OpenMetrics wants a family's samples together and each series in time order
  for (const s of dataset()) {
    const key = labelText(s.labels);
    for (let i = 0; i < s.times.length; i++) {
      om.push(`${key} ${s.values[i]} ${s.times[i]}\n`);
      pt.push(`${key} ${s.values[i]} ${s.times[i] * 1000}\n`);
    }
    flush();
  }
  writeFileSync(openMetrics, `${om.join('')}# EOF\n`, { flag: 'a' });
  writeFileSync(promText, pt.join(''), { flag: 'a' });
  return { openMetrics, promText };
}

interface System {
  readonly name: string;
  readonly url: string;
  stop(): Promise<void>;
}

async function startProcess(name: string, command: string, argv: string[], url: string, readyPath: string, cleanup: () => void): Promise<System> {
  const child: ChildProcess = spawn(command, argv, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TALLY_LOG_LEVEL: 'warn' } });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => void (err = (err + d.toString()).slice(-3000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
    cleanup();
  };
  for (let i = 0; i < 1200; i++) {
    if (child.exitCode !== null) break;
    const ok = await fetch(`${url}${readyPath}`).then((r) => r.ok, () => false);
    if (ok) return { name, url, stop };
    await sleep(100);
  }
  await stop();
  throw new Error(`${name} did not start: ${err}`);
}

async function startPrometheus(openMetrics: string): Promise<System> {
  const dir = mkdtempSync(join(tmpdir(), 'tally-bench-prom-'));
  log('Prometheus: backfilling with promtool');
  execFileSync('/usr/bin/promtool', ['tsdb', 'create-blocks-from', 'openmetrics', '--max-block-duration=744h', openMetrics, join(dir, 'tsdb')], { stdio: 'ignore' });
  writeFileSync(join(dir, 'prometheus.yml'), 'global: {}\n');
  const port = await freePort();
  return startProcess(
    'Prometheus 2.42',
    '/usr/bin/prometheus',
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, '--storage.tsdb.retention.time=100y', `--web.listen-address=127.0.0.1:${port}`],
    `http://127.0.0.1:${port}`,
    '/-/ready',
    () => rmSync(dir, { recursive: true, force: true }),
  );
}

async function startVictoriaMetrics(promText: string): Promise<System> {
  const dir = mkdtempSync(join(tmpdir(), 'tally-bench-vm-'));
  const port = await freePort();
  const vm = await startProcess(
    'VictoriaMetrics 1.79',
    '/usr/bin/victoria-metrics',
    [`-storageDataPath=${dir}`, `-httpListenAddr=127.0.0.1:${port}`, '-retentionPeriod=100y', '-search.disableCache', '-search.latencyOffset=0s', '-loggerLevel=ERROR'],
    `http://127.0.0.1:${port}`,
    '/health',
    () => rmSync(dir, { recursive: true, force: true }),
  );
  log('VictoriaMetrics: importing');
  const res = await fetch(`${vm.url}/api/v1/import/prometheus`, { method: 'POST', body: new Uint8Array(readFileSync(promText)) });
  if (!res.ok) throw new Error(`VictoriaMetrics import: ${res.status} ${await res.text()}`);
  await fetch(`${vm.url}/internal/force_flush`);
  return vm;
}

async function startTally(): Promise<System> {
  const dir = mkdtempSync(join(tmpdir(), 'tally-bench-promql-'));
  const port = await freePort();
  const bin = fileURLToPath(new URL('../bin/tally', import.meta.url));
  const url = `http://127.0.0.1:${port}`;
  const tally = await startProcess('tally', bin, ['all-in-one', '--port', String(port), '--data-dir', dir], url, '/v1/', () => rmSync(dir, { recursive: true, force: true }));
  const post = async (path: string, body: unknown): Promise<void> => {
    const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
  };
  await post('/v1/archive_policy', {
    name: 'bench-promql',
    aggregation_methods: ['last'],
    definition: [{ granularity: '15s', timespan: '2 days' }, { granularity: '1h', timespan: '60 days' }],
  });
  await post('/v1/archive_policy_rule', { name: 'a-bench-promql', metric_pattern: 'bench_*', archive_policy_name: 'bench-promql' });
  log('tally: remote-writing');
  let batch: Series[] = [];
  let samples = 0;
  const send = async (): Promise<void> => {
    const body = encodeWriteRequest(
      batch.map((s) => ({
        labels: Object.entries(s.labels).map(([name, value]) => ({ name, value })),
        samples: Array.from(s.times, (t, i) => ({ value: s.values[i], timestamp_ms: t * 1000 })),
      })),
    );
    const res = await fetch(`${url}/api/v1/write`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' }, body: new Uint8Array(body) });
    if (res.status !== 204) throw new Error(`remote write: ${res.status} ${await res.text()}`);
    batch = [];
  };
  const t0 = performance.now();
  for (const s of dataset()) {
    batch.push(s);
    samples += s.times.length;
    if (batch.length >= 500) await send();
  }
  if (batch.length > 0) await send();
  log(`tally: ${samples.toLocaleString('en-US')} samples written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return tally;
}

interface Query {
  readonly label: string;
  readonly query: string;
  readonly rangeS: number;
  readonly stepS: number;
}

const QUERIES: readonly Query[] = [
  { label: 'one series, 1 h', query: 'rate(bench_cpu_seconds_total{instance="vm-42"}[5m])', rangeS: HOUR_S, stepS: 15 },
  { label: 'one series, 30 d (rollup)', query: 'bench_long', rangeS: LONG_S, stepS: 3600 },
  { label: `avg by (project), ${SERIES.toLocaleString('en-US')} series × 1 h`, query: 'avg by (project) (bench_cpu_seconds_total)', rangeS: HOUR_S, stepS: 15 },
  { label: `sum by (project) (rate), ${SERIES.toLocaleString('en-US')} series`, query: 'sum by (project) (rate(bench_cpu_seconds_total[5m]))', rangeS: HOUR_S, stepS: 15 },
  { label: 'topk(5, rate)', query: 'topk(5, rate(bench_cpu_seconds_total[5m]))', rangeS: HOUR_S, stepS: 60 },
  { label: 'histogram_quantile(0.9)', query: 'histogram_quantile(0.9, sum by (le) (rate(bench_request_duration_seconds_bucket[5m])))', rangeS: HOUR_S, stepS: 15 },
];

/** Median wall time (ms) of a range query, and its number of result series. */
async function measure(system: System, q: Query): Promise<{ ms: number; series: number }> {
  const params = new URLSearchParams({ query: q.query, start: String(END_S - q.rangeS), end: String(END_S), step: String(q.stepS) });
  const once = async (): Promise<{ ms: number; series: number }> => {
    const t = performance.now();
    const res = await fetch(`${system.url}/api/v1/query_range`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: params });
    const body = (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } };
    const ms = performance.now() - t;
    if (body.status !== 'success') throw new Error(`${system.name}: ${q.query}: ${body.error}`);
    return { ms, series: body.data!.result.length };
  };
  await once();
  const times: number[] = [];
  let series = 0;
  for (let i = 0; i < RUNS; i++) {
    const r = await once();
    times.push(r.ms);
    series = r.series;
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], series };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tally-bench-promql-data-'));
  const systems: System[] = [];
  try {
    log(`writing the data set (${SERIES.toLocaleString('en-US')} series × 1 h, histograms, one series × 30 d)`);
    const files = writeExpositions(dir);
    systems.push(await startTally());
    systems.push(await startPrometheus(files.openMetrics));
    systems.push(await startVictoriaMetrics(files.promText));
    rmSync(dir, { recursive: true, force: true });
    const rows: string[][] = [];
    for (const q of QUERIES) {
      const cells: string[] = [q.label];
      const counts: number[] = [];
      for (const s of systems) {
        log(`${s.name}: ${q.query}`);
        const r = await measure(s, q);
        cells.push(r.ms < 10 ? r.ms.toFixed(2) : r.ms.toFixed(1));
        counts.push(r.series);
      }
      const [tally, , victoria] = cells.slice(1).map(Number);
      cells.push(`${(victoria / tally).toFixed(2)}×`);
      cells.push(counts.join('/'));
      rows.push(cells);
    }
    const header = ['query (range, median ms)', ...systems.map((s) => s.name), 'VictoriaMetrics / tally', 'series'];
    const lines = [header, header.map(() => '---'), ...rows];
    const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i].length)));
    for (const l of lines) {
      const cells = l.map((c, i) => (c === '---' ? '-'.repeat(widths[i]) : i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])));
      process.stdout.write(`| ${cells.join(' | ')} |\n`);
    }
    process.stdout.write(`${RUNS} runs each after a warm-up; VictoriaMetrics / tally above 1 means tally answers faster\n`);
  } finally {
    for (const s of systems) await s.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
