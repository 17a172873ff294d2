/**
 * Engine ingest benchmark: M metrics × N measures (random walk, 10 s apart)
 * through Engine.addMeasures, aggregated concurrently, timed until every
 * measure is durable and rolled up. Then read latencies. Prints a table.
 *
 *   node --import tsx bench/ingest.ts [--metrics 10000] [--measures 1000]
 *        [--per-call 100] [--in-flight 4] [--batch-measures 100]
 *        [--interval 1000] [--same-thread] [--phases] [--dir DIR] [--keep]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeArchivePolicy } from '../tsdb/archive-policy.js';
import { aggregateAcross } from '../tsdb/cross-aggregate.js';
import { Engine, type MeasureBatch } from '../tsdb/engine.js';
import { tuneRuntime } from '../cli/runtime.js';

// measured as a tally process runs: with its V8 settings
tuneRuntime();

const { values: args } = parseArgs({
  options: {
    metrics: { type: 'string', default: '10000' },
    measures: { type: 'string', default: '1000' },
    'per-call': { type: 'string', default: '100' },
    'in-flight': { type: 'string', default: '4' },
    'batch-measures': { type: 'string', default: '100' },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
    // ingest everything first, then aggregate: shows each phase's own rate
    phases: { type: 'boolean', default: false },
    // background aggregation sweep interval, ms (Gnocchi's metricd processing delay)
    interval: { type: 'string', default: '1000' },
    // aggregate on the ingesting thread instead of a worker thread
    'same-thread': { type: 'boolean', default: false },
  },
});
const M = Number(args.metrics);
const N = Number(args.measures);
const PER_CALL = Number(args['per-call']); // metrics per addMeasures call
const IN_FLIGHT = Number(args['in-flight']);
const ROUND = Math.min(N, Number(args['batch-measures'])); // measures per metric per call
const STEP_US = 10_000_000;
const START_US = Date.UTC(2024, 0, 1) * 1000;

const dir = args.dir ?? mkdtempSync(join(tmpdir(), 'tally-bench-'));
const engine = Engine.open({ path: dir });
const policy = makeArchivePolicy({
  name: 'bench',
  aggregation_methods: ['mean', 'min', 'max', 'sum', 'std', 'count', 'last', 'rate:mean'],
  definition: [{ granularity: 60, timespan: 7 * 86400 }, { granularity: 3600, timespan: 90 * 86400 }, { granularity: 86400, timespan: 365 * 86400 }],
});
const log = (msg: string): void => { process.stderr.write(`${msg}\n`); };
log(`bench: ${M} metrics × ${N} measures into ${dir}`);

for (let m = 0; m < M; m++) await engine.createMetric(`metric-${m}`, policy);

// Random walk per metric, generated up front so generation is not timed.
let seed = 42;
const rand = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
const walk = new Float64Array(M * N);
for (let m = 0; m < M; m++) {
  let v = 100;
  for (let i = 0; i < N; i++) { v += rand() - 0.5; walk[m * N + i] = v; }
}
const times = new Float64Array(N);
for (let i = 0; i < N; i++) times[i] = START_US + i * STEP_US;

let rss = process.memoryUsage().rss;
const sampleRss = setInterval(() => { rss = Math.max(rss, process.memoryUsage().rss); }, 100);

const t0 = performance.now();
// Aggregation runs in the background as in a server (a sweep per interval);
// with --phases it starts only after the last measure is acknowledged.
const processor = args.phases ? null : engine.startProcessor({ intervalMs: Number(args.interval), thread: !args['same-thread'] });

const calls: MeasureBatch[][] = [];
for (let r = 0; r < N; r += ROUND) {
  const hi = Math.min(N, r + ROUND);
  for (let m0 = 0; m0 < M; m0 += PER_CALL) {
    const call: MeasureBatch[] = [];
    for (let m = m0; m < Math.min(M, m0 + PER_CALL); m++) {
      call.push({ metricId: `metric-${m}`, timestamps: times.subarray(r, hi), values: walk.subarray(m * N + r, m * N + hi) });
    }
    calls.push(call);
  }
}
let nextCall = 0;
async function sender(): Promise<void> {
  while (nextCall < calls.length) {
    const call = calls[nextCall++];
    await engine.addMeasures(call);
  }
}
await Promise.all(Array.from({ length: IN_FLIGHT }, sender));
const tIngested = performance.now();
await processor?.stop();
await engine.processAll();
const tDone = performance.now();
clearInterval(sampleRss);
rss = Math.max(rss, process.memoryUsage().rss);

const total = M * N;
const fileBytes = statSync(join(dir, 'tsdb.lmdb')).size;

// Read latency: one metric's 30-day rollup at 5-minute granularity.
const readPolicy = makeArchivePolicy({ name: 'ceilometer-low', aggregation_methods: ['mean'], definition: [{ granularity: 300, timespan: 30 * 86400 }] });
await engine.createMetric('read-30d', readPolicy);
const days = 30;
const pts = (days * 86400 * 1e6) / STEP_US;
const rt = new Float64Array(pts);
const rv = new Float64Array(pts);
for (let i = 0; i < pts; i++) { rt[i] = START_US + i * STEP_US; rv[i] = Math.sin(i / 100); }
await engine.addMeasures([{ metricId: 'read-30d', timestamps: rt, values: rv }]);
await engine.processAll();

function median(f: () => number, runs = 100): { ms: number; n: number } {
  const times: number[] = [];
  let n = 0;
  for (let i = 0; i < runs; i++) {
    const a = performance.now();
    n = f();
    times.push(performance.now() - a);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(runs / 2)], n };
}
const read = median(() => engine.read('read-30d', { method: 'mean', granularity: 300e6 }).length);
const refs = Array.from({ length: Math.min(1000, M) }, (_, m) => ({ metricId: `metric-${m}`, method: 'mean' }));
const operations = ['aggregate', 'mean', ['metric', ...refs.map((r) => [r.metricId, r.method])]];
const across = median(() => {
  const r = aggregateAcross(engine, refs, operations, { granularities: [60e6] });
  return r.kind === 'aggregated' ? r.points.length : 0;
}, 20);

await engine.close();
if (!args.keep && !args.dir) rmSync(dir, { recursive: true, force: true });

const fmt = (n: number, d = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const rows: [string, string][] = [
  ['workload', `${fmt(M)} metrics × ${fmt(N)} measures, ${ROUND}/metric/call, ${PER_CALL} metrics/call, ${IN_FLIGHT} in flight`],
  ['policy', '3 granularities (1 min, 1 h, 1 day) × 8 methods (mean min max sum std count last rate:mean)'],
  ['measures', fmt(total)],
  ['mode', args.phases ? 'phases: ingest all, then aggregate' : `concurrent: an aggregation sweep every ${args.interval} ms on ${args['same-thread'] ? 'the ingesting thread' : 'a worker thread'}`],
  ['ingest (durable) time', `${fmt((tIngested - t0) / 1000, 2)} s (${fmt(total / ((tIngested - t0) / 1000))} measures/s)`],
  ['aggregation after ingest ended', `${fmt((tDone - tIngested) / 1000, 2)} s`],
  ['end-to-end time (durable + aggregated)', `${fmt((tDone - t0) / 1000, 2)} s`],
  ['end-to-end measures/s', fmt(total / ((tDone - t0) / 1000))],
  ['peak RSS', `${fmt(rss / 2 ** 20)} MiB`],
  ['tsdb.lmdb file size', `${fmt(fileBytes / 2 ** 20, 1)} MiB`],
  ['bytes on disk per measure', fmt(fileBytes / total, 2)],
  [`read: 30-day rollup at 5 min (${read.n} points), median of 100`, `${fmt(read.ms, 3)} ms`],
  [`aggregate mean across ${refs.length} metrics at 1 min (${across.n} points), median of 20`, `${fmt(across.ms, 1)} ms`],
];
const w = Math.max(...rows.map((r) => r[0].length));
console.log(`| ${'figure'.padEnd(w)} | value |`);
console.log(`| ${'-'.repeat(w)} | ----- |`);
for (const [k, v] of rows) console.log(`| ${k.padEnd(w)} | ${v} |`);
