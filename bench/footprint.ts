/**
 * Memory footprint of `tally all-in-one` as an operator runs it (the built
 * JavaScript: `npm ci` builds it, `npm run build` after a change), sampled
 * from /proc every 100 ms:
 *
 *  - idle on an empty store: the peak while starting, and the figure after
 *    `--idle` seconds with nothing to do;
 *  - 100,000 metrics on 10,000 resources created and written through the API;
 *  - a steady load for `--seconds`: 10,000 measures/s through the batch API,
 *    a metric's measures read ten times a second and an aggregate across 100
 *    metrics every second;
 *
 * with the index in PGlite and in PostgreSQL (a fresh database on the local
 * server, TALLY_BENCH_PG_URL or 127.0.0.1:5432), and where the memory goes by
 * tally's own account (GET /metrics: V8 heaps per thread, PGlite's WASM
 * memory, LMDB's mapping, cache entries). Then the embedded database apart:
 * Node.js alone, and Node.js with PGlite holding tally's schema, with the
 * page cache tally configures and with PostgreSQL's default. Prints tables,
 * the targets beside the figures.
 *
 *   npm run bench:footprint [-- --idle 30 --seconds 60 --resources 10000 --quick]
 *
 * --quick: 10 s phases and 1,000 resources (what the test suite runs).
 * Loopback only; stops by itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { ApiClient, pool } from './api-client.js';
import { freePort } from '../test/helpers/free-port.js';
import { type ResidentSet, residentSet } from '../exporters/process-memory.js';

const { values: args } = parseArgs({
  options: {
    idle: { type: 'string' },
    seconds: { type: 'string' },
    resources: { type: 'string' },
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});
const QUICK = args.quick;
const IDLE_S = Number(args.idle ?? (QUICK ? 10 : 30));
const LOAD_S = Number(args.seconds ?? (QUICK ? 10 : 60));
const RESOURCES = Number(args.resources ?? (QUICK ? 1000 : 10_000));
const PER_RESOURCE = 10;
const METRICS = RESOURCES * PER_RESOURCE;
/** resources per batch request of the steady load: 100 × 10 metrics × 1 measure, ten a second */
const LOAD_BATCH = 100;
const PG_SERVER = process.env.TALLY_BENCH_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
// as deployed: the `tally` command (bin/tally sets glibc's allocator, then runs bin/tally.js)
const BIN = join(ROOT, 'bin', 'tally');
const MB = 2 ** 20;
const T0 = Date.UTC(2026, 0, 1) / 1000;

/** The targets of the footprint issue, in MB (RSS). */
const TARGETS = { idle: 300, startPeak: 400, idleOurs: 100, idlePostgres: 150, load: 400 };

const log = (msg: string): void => void process.stderr.write(`[bench:footprint] ${msg}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// -- sampling ---------------------------------------------------------------------------

type Memory = ResidentSet;

const NO_MEMORY: Memory = { rss: 0, anon: 0, file: 0 };

interface Phase {
  /** the sample with the highest RSS */
  peak: Memory;
  /** the last sample */
  end: Memory;
}

/** Samples a process's memory every 100 ms; each phase reports its peak and its last sample. */
class Sampler {
  private peak = NO_MEMORY;
  private last = NO_MEMORY;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number) {
    this.timer = setInterval(() => this.sample(), 100);
    this.sample();
  }

  private sample(): void {
    const m = residentSet(this.pid);
    // the process is gone
    if (m.rss === 0) return;
    this.last = m;
    if (m.rss > this.peak.rss) this.peak = m;
  }

  /** ends a phase: its peak and last sample; the next phase starts from here */
  phase(): Phase {
    this.sample();
    const out = { peak: this.peak, end: this.last };
    this.peak = this.last;
    return out;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

// -- processes --------------------------------------------------------------------------


interface Running {
  readonly child: ChildProcess;
  readonly sampler: Sampler;
  output: string;
  stop(): Promise<void>;
}

/** Starts a process, sampled from its first moment; resolves once its output matches `ready`. */
async function startProcess(command: string, argv: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<Running> {
  const child = spawn(command, argv, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const running: Running = {
    child,
    sampler: new Sampler(child.pid!),
    output: '',
    stop: async () => {
      running.sampler.stop();
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
  const take = (d: Buffer): void => void (running.output += d.toString());
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  const until = Date.now() + 120_000;
  while (!ready.test(running.output)) {
    if (child.exitCode !== null || Date.now() > until) {
      await running.stop();
      throw new Error(`node ${argv.join(' ')} did not get ready:\n${running.output.slice(-3000)}`);
    }
    await sleep(20);
  }
  if (/running the TypeScript sources/.test(running.output)) {
    await running.stop();
    throw new Error('tally is not built, or its sources changed since: run `npm run build` (the bench measures what operators run)');
  }
  return running;
}

interface Index {
  readonly name: 'PGlite' | 'PostgreSQL';
  /** TALLY_INDEX_URL, empty for PGlite */
  url: string;
  cleanup(): Promise<void>;
}

async function pgliteIndex(): Promise<Index> {
  return { name: 'PGlite', url: '', cleanup: async () => undefined };
}

async function postgresIndex(): Promise<Index> {
  const name = `tally_footprint_${process.pid}`;
  const admin = async (sql: string): Promise<void> => {
    const c = new pg.Client({ connectionString: PG_SERVER });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(PG_SERVER);
  url.pathname = `/${name}`;
  return { name: 'PostgreSQL', url: url.toString(), cleanup: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

// -- tally's own account ------------------------------------------------------------------

/** tally_memory_bytes{part} and tally_cache_entries{cache} from GET /metrics. */
async function ownAccount(client: ApiClient): Promise<{ memory: Map<string, number>; caches: Map<string, number> }> {
  const r = await client.send('GET', '/metrics');
  if (r.status !== 200) throw new Error(`GET /metrics -> ${r.status} ${r.text.slice(0, 300)}`);
  const pick = (metric: string, label: string): Map<string, number> => {
    const out = new Map<string, number>();
    const re = new RegExp(`^${metric}\\{${label}="([^"]+)"\\} (\\S+)$`, 'gm');
    for (const m of r.text.matchAll(re)) out.set(m[1], Number(m[2]));
    return out;
  };
  // the main thread's heap by space (Node.js's default metrics), under it: what the heap figure is made of
  const spaces = [...pick('nodejs_heap_space_size_total_bytes', 'space')].filter(([, bytes]) => bytes >= MB);
  const memory = new Map<string, number>();
  for (const [part, bytes] of pick('tally_memory_bytes', 'part')) {
    memory.set(part, bytes);
    if (part === 'v8_heap_main_thread') for (const [space, b] of spaces) memory.set(`  of which ${space.replace(/_space$/, '')}`, b);
  }
  return { memory, caches: pick('tally_cache_entries', 'cache') };
}

// -- the workload ---------------------------------------------------------------------------

const resourceId = (r: number): string => `footprint-${r}`;

/** 10,000 resources with 10 metrics each, then a measure for every metric, through the API. */
async function populate(client: ApiClient): Promise<void> {
  const ids = Array.from({ length: RESOURCES }, (_, r) => r);
  let done = 0;
  await pool(ids, 8, async (r) => {
    const metrics = Object.fromEntries(Array.from({ length: PER_RESOURCE }, (_, m) => [`m${m}`, { archive_policy_name: 'low' }]));
    await client.json('POST', '/v1/resource/generic', { id: resourceId(r), project_id: `p${r % 100}`, user_id: 'u', metrics }, [201]);
    if (++done % 2000 === 0) log(`${done.toLocaleString('en-US')} resources created`);
  });
  await writeBatches(client, 0, ids.length, 8);
}

/** One measure at `step` for each metric of the resources [from, to), 100 resources per request. */
async function writeBatches(client: ApiClient, step: number, count: number, inFlight: number, first = 0): Promise<number> {
  const starts = Array.from({ length: Math.ceil(count / LOAD_BATCH) }, (_, i) => first + i * LOAD_BATCH);
  let measures = 0;
  await pool(starts, inFlight, async (start) => {
    const body: Record<string, Record<string, { timestamp: number; value: number }[]>> = {};
    for (let r = start; r < Math.min(start + LOAD_BATCH, first + count); r++) {
      const metrics: Record<string, { timestamp: number; value: number }[]> = {};
      for (let m = 0; m < PER_RESOURCE; m++) metrics[`m${m}`] = [{ timestamp: T0 + step * 10, value: (r * 7 + m + step) % 100 }];
      body[resourceId(r % RESOURCES)] = metrics;
      measures += PER_RESOURCE;
    }
    await client.json('POST', '/v1/batch/resources/metrics/measures', body, [202]);
  });
  return measures;
}

/** The steady load: a batch of 1,000 measures and a read every 100 ms, an aggregate every second. */
async function steadyLoad(client: ApiClient, seconds: number): Promise<{ measures: number; reads: number; aggregates: number }> {
  const until = Date.now() + seconds * 1000;
  let tick = 0;
  let measures = 0;
  let reads = 0;
  let aggregates = 0;
  const pending: Promise<unknown>[] = [];
  for (let next = Date.now(); next < until; next += 100, tick++) {
    await sleep(Math.max(0, next - Date.now()));
    const first = (tick * LOAD_BATCH) % RESOURCES;
    const step = 1 + Math.floor((tick * LOAD_BATCH) / RESOURCES);
    pending.push(writeBatches(client, step, LOAD_BATCH, 1, first).then((n) => void (measures += n)));
    const r = (tick * 37) % RESOURCES;
    pending.push(client.json('GET', `/v1/resource/generic/${resourceId(r)}/metric/m${tick % PER_RESOURCE}/measures`).then(() => void reads++));
    if (tick % 10 === 0) {
      const search = { operations: `(aggregate mean (metric m${tick % PER_RESOURCE} mean))`, search: { '=': { project_id: `p${r % 100}` } }, resource_type: 'generic' };
      pending.push(client.json('POST', '/v1/aggregates?groupby=project_id', search).then(() => void aggregates++));
    }
    if (pending.length > 200) await Promise.all(pending.splice(0, 100));
  }
  await Promise.all(pending);
  return { measures, reads, aggregates };
}

// -- scenarios ---------------------------------------------------------------------------

interface Scenario {
  index: string;
  start: Phase;
  idleAccount: { memory: Map<string, number>; caches: Map<string, number> };
  populate?: Phase;
  populateSeconds?: number;
  load?: Phase;
  loadRate?: { measures: number; reads: number; aggregates: number };
  loadAccount?: { memory: Map<string, number>; caches: Map<string, number> };
}

async function runTally(index: Index, withLoad: boolean): Promise<Scenario> {
  const dir = mkdtempSync(join(tmpdir(), 'tally-footprint-'));
  const port = await freePort();
  log(`${index.name}: starting tally all-in-one on an empty store`);
  const tally = await startProcess(BIN, ['all-in-one', '--port', String(port), '--data-dir', dir], { TALLY_LOG_LEVEL: 'warn', TALLY_INDEX_URL: index.url }, /listening on http/);
  const client = new ApiClient(`http://127.0.0.1:${port}`, '');
  try {
    await sleep(IDLE_S * 1000);
    // from the first moment to IDLE_S after listening: the peak while starting, and the idle figure at its end
    const start = tally.sampler.phase();
    const out: Scenario = { index: index.name, start, idleAccount: await ownAccount(client) };
    if (!withLoad) return out;
    log(`${index.name}: ${RESOURCES.toLocaleString('en-US')} resources × ${PER_RESOURCE} metrics, created and written`);
    const t0 = Date.now();
    await populate(client);
    out.populateSeconds = (Date.now() - t0) / 1000;
    out.populate = tally.sampler.phase();
    log(`${index.name}: steady load for ${LOAD_S} s`);
    const rate = await steadyLoad(client, LOAD_S);
    out.loadRate = { measures: rate.measures / LOAD_S, reads: rate.reads / LOAD_S, aggregates: rate.aggregates / LOAD_S };
    out.loadAccount = await ownAccount(client);
    out.load = tally.sampler.phase();
    return out;
  } finally {
    await tally.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Bare {
  name: string;
  memory: Memory;
}

/** Node.js alone, then Node.js with PGlite holding tally's schema (the embedded database's own cost). */
async function runBare(): Promise<Bare[]> {
  const out: Bare[] = [];
  const idle = async (name: string, argv: string[]): Promise<void> => {
    const p = await startProcess(process.execPath, argv, {}, /ready/);
    await sleep(Math.min(IDLE_S, 10) * 1000);
    out.push({ name, memory: p.sampler.phase().end });
    await p.stop();
  };
  await idle('Node.js, nothing loaded', ['-e', 'console.log("ready"); setInterval(() => undefined, 1e6)']);
  for (const sharedBuffers of ['16MB', '128MB']) {
    const dir = mkdtempSync(join(tmpdir(), 'tally-footprint-pglite-'));
    const script = [
      `(await import(${JSON.stringify(new URL('../dist/cli/runtime.js', import.meta.url).href)})).tuneRuntime();`,
      `const { Index } = await import(${JSON.stringify(new URL('../dist/tsdb/index/index.js', import.meta.url).href)});`,
      `await Index.open(${JSON.stringify(join(dir, 'index'))}, { pglite: { sharedBuffers: ${JSON.stringify(sharedBuffers)} } });`,
      'console.log("ready"); setInterval(() => undefined, 1e6);',
    ].join('\n');
    await idle(`Node.js + PGlite with tally's schema, shared_buffers ${sharedBuffers}${sharedBuffers === '16MB' ? ' (tally\'s default)' : ' (PostgreSQL\'s)'}`, ['--input-type=module', '-e', script]);
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

// -- the tables ------------------------------------------------------------------------------

const mb = (bytes: number): string => (bytes / MB).toFixed(0);
const verdict = (value: number, limit: number): string => `${value / MB <= limit ? 'met' : 'MISSED'} (≤ ${limit})`;

function table(header: string[], rows: string[][]): void {
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log();
}

function report(scenarios: Scenario[], bare: Bare[]): void {
  const pgliteOwn = bare.length >= 2 ? bare[1].memory.rss - bare[0].memory.rss : 0;
  const rows: string[][] = [];
  const row = (what: string, m: Memory, target = ''): void => void rows.push([what, mb(m.rss), mb(m.anon), mb(m.file), target]);
  for (const s of scenarios) {
    const pglite = s.index === 'PGlite';
    row(`${s.index}: starting, peak`, s.start.peak, pglite ? verdict(s.start.peak.rss, TARGETS.startPeak) : '');
    row(`${s.index}: idle after ${IDLE_S} s`, s.start.end, verdict(s.start.end.rss, pglite ? TARGETS.idle : TARGETS.idlePostgres));
    if (pglite && pgliteOwn > 0) {
      const ours = s.start.end.rss - pgliteOwn;
      rows.push([`${s.index}: idle, but for PGlite's own ${mb(pgliteOwn)} MB`, mb(ours), '', '', verdict(ours, TARGETS.idleOurs)]);
    }
    if (s.populate) row(`${s.index}: creating ${METRICS.toLocaleString('en-US')} metrics and writing them (${s.populateSeconds!.toFixed(0)} s), peak`, s.populate.peak);
    if (s.load && s.loadRate) {
      const rate = `${Math.round(s.loadRate.measures).toLocaleString('en-US')} measures/s, ${s.loadRate.reads.toFixed(0)} reads/s, ${s.loadRate.aggregates.toFixed(1)} aggregates/s`;
      row(`${s.index}: steady load (${rate}), peak`, s.load.peak, verdict(s.load.peak.rss, TARGETS.load));
      if (pglite && pgliteOwn > 0) {
        // what the same load costs tally beside the embedded database (PostgreSQL's run measures it without one)
        const ours = s.load.peak.rss - pgliteOwn;
        rows.push([`${s.index}: steady load, peak, but for PGlite's own ${mb(pgliteOwn)} MB`, mb(ours), '', '', verdict(ours, TARGETS.load)]);
      }
      row(`${s.index}: steady load, at its end`, s.load.end);
    }
  }
  console.log(`tally all-in-one, RSS in MB (anonymous and file-backed apart), ${METRICS.toLocaleString('en-US')} metrics on ${RESOURCES.toLocaleString('en-US')} resources:`);
  console.log();
  table(['phase', 'RSS', 'anon', 'file', 'target (MB)'], rows);

  const parts = new Set(scenarios.flatMap((s) => [...s.idleAccount.memory.keys(), ...(s.loadAccount?.memory.keys() ?? [])]));
  const columns = scenarios.flatMap((s) => [[`${s.index} idle`, s.idleAccount] as const, ...(s.loadAccount ? [[`${s.index} loaded`, s.loadAccount] as const] : [])]);
  console.log("Where it goes, by tally's own account (GET /metrics), MB or entries:");
  console.log();
  table(
    ['part', ...columns.map((c) => c[0])],
    [
      ...[...parts].map((p) => [p, ...columns.map(([, a]) => (a.memory.has(p) ? mb(a.memory.get(p)!) : ''))]),
      ...[...new Set(columns.flatMap(([, a]) => [...a.caches.keys()]))].map((c) => [`cache: ${c} (entries)`, ...columns.map(([, a]) => (a.caches.get(c) ?? '').toLocaleString('en-US'))]),
    ],
  );
  console.log('The embedded database apart (RSS after start, MB):');
  console.log();
  table(['process', 'RSS', 'anon', 'file'], bare.map((b) => [b.name, mb(b.memory.rss), mb(b.memory.anon), mb(b.memory.file)]));
}

async function main(): Promise<void> {
  const only = args.only;
  const scenarios: Scenario[] = [];
  for (const make of [pgliteIndex, postgresIndex]) {
    const index = await make();
    if (only && only.toLowerCase() !== index.name.toLowerCase()) continue;
    try {
      scenarios.push(await runTally(index, true));
    } finally {
      await index.cleanup();
    }
  }
  const bare = await runBare();
  report(scenarios, bare);
}

await main();
