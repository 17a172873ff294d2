/**
 * HTTP API benchmark, tally against the real Gnocchi on the same workload:
 * M metrics (POST /v1/metric; policy 1 s × 1 h, 1 min × 1 day, 1 h × 30 days;
 * mean min max sum count last), N measures each, 1 s apart, sent through
 * POST /v1/batch/metrics/measures, 10 metrics per request, 4 requests in
 * flight, timed from the first POST until GET /v1/status shows no backlog;
 * then the median latency of single-metric reads (N points at 1 s) and of
 * POST /v1/aggregates (mean across 100 metrics at 1 s). Prints one table.
 *
 *   node --import tsx bench/api.ts [--gnocchi] [--short] [--url URL]
 *        [--metrics 1000] [--measures 1000] [--reads 30] [--auth admin:]
 *
 * tally runs as a child process (`tally all-in-one`, basic auth, embedded
 * storage in a temporary directory); --gnocchi also brings up Gnocchi 4.4
 * through test/gnocchi/up.sh (root; it installs the Debian packages once) and
 * stops it afterwards; --url measures an already running server instead of a
 * fresh tally. --short: 100 metrics × 100 measures, 10 reads (for CI).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startRealGnocchi } from '../test/helpers/real-gnocchi.js';
import { ApiClient, median, pool } from './api-client.js';
import { freePort } from '../test/helpers/free-port.js';

const { values: args } = parseArgs({
  options: {
    short: { type: 'boolean', default: false },
    gnocchi: { type: 'boolean', default: false },
    url: { type: 'string' },
    auth: { type: 'string', default: 'admin:' },
    metrics: { type: 'string' },
    measures: { type: 'string' },
    reads: { type: 'string' },
    'per-request': { type: 'string', default: '10' },
    'in-flight': { type: 'string', default: '4' },
    'agg-metrics': { type: 'string', default: '100' },
    // not 8041, which a developer's Gnocchi or tally may hold; not the diff test's 28041
    'gnocchi-port': { type: 'string', default: '28043' },
  },
});
const M = Number(args.metrics ?? (args.short ? 100 : 1000));
const N = Number(args.measures ?? (args.short ? 100 : 1000));
const READS = Number(args.reads ?? (args.short ? 10 : 30));
const PER_REQUEST = Number(args['per-request']);
const IN_FLIGHT = Number(args['in-flight']);
const AGG_METRICS = Math.min(M, Number(args['agg-metrics']));
const AUTH = `Basic ${Buffer.from(args.auth).toString('base64')}`;
const START = Date.UTC(2024, 0, 1) / 1000; // s

const log = (msg: string): void => { process.stderr.write(`[bench:api] ${msg}\n`); };

interface Figures {
  /** measures/s from the first POST until all are processed */
  ingest: number;
  /** measures/s of the POST phase alone */
  accepted: number;
  readMs: number;
  aggregatesMs: number;
}

async function waitProcessed(client: ApiClient, t0: number, name: string): Promise<void> {
  let lastLog = performance.now();
  for (;;) {
    const st = await client.json<{ storage: { summary: { measures: number } } }>('GET', '/v1/status?details=false');
    const backlog = st.storage.summary.measures;
    if (backlog === 0) return;
    if (performance.now() - lastLog > 5000) {
      log(`${name}: backlog ${backlog} (t=${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      lastLog = performance.now();
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function timed(n: number, fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm-up, not counted
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return median(ms);
}

async function runWorkload(client: ApiClient, name: string): Promise<Figures> {
  const policy = `bench-api-${Math.random().toString(36).slice(2, 10)}`;
  await client.json('POST', '/v1/archive_policy', {
    name: policy,
    back_window: 0,
    definition: [{ granularity: '1s', timespan: '1 hour' }, { granularity: '1 minute', timespan: '1 day' }, { granularity: '1 hour', timespan: '30 days' }],
    aggregation_methods: ['mean', 'min', 'max', 'sum', 'count', 'last'],
  });
  const ids: string[] = new Array<string>(M);
  let t = performance.now();
  await pool(ids, IN_FLIGHT, async (_, i) => {
    ids[i] = (await client.json<{ id: string }>('POST', '/v1/metric', { archive_policy_name: policy })).id;
  });
  log(`${name}: created ${M} metrics in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  // request bodies, built before the clock starts
  const stamps = Array.from({ length: N }, (_, j) => JSON.stringify(new Date((START + j) * 1000).toISOString().replace('Z', '+00:00')));
  const bodies: string[] = [];
  for (let m0 = 0; m0 < M; m0 += PER_REQUEST) {
    const parts: string[] = [];
    for (let m = m0; m < Math.min(M, m0 + PER_REQUEST); m++) {
      const measures = stamps.map((s, j) => `{"timestamp": ${s}, "value": ${((m * 7 + j * 13) % 1000) / 10}}`);
      parts.push(`"${ids[m]}": [${measures.join(', ')}]`);
    }
    bodies.push(`{${parts.join(', ')}}`);
  }
  const total = M * N;
  log(`${name}: sending ${total.toLocaleString('en-US')} measures in ${bodies.length} requests, ${IN_FLIGHT} in flight`);

  const t0 = performance.now();
  await pool(bodies, IN_FLIGHT, async (body) => { await client.json('POST', '/v1/batch/metrics/measures', body, [202]); });
  const tPosted = performance.now();
  log(`${name}: all accepted in ${((tPosted - t0) / 1000).toFixed(1)} s; waiting until processed`);
  await waitProcessed(client, t0, name);
  const tDone = performance.now();
  log(`${name}: processed in ${((tDone - t0) / 1000).toFixed(1)} s from the first POST`);

  // "no backlog" must mean the data is there: check 20 metrics, the last one among them (untimed)
  const step = Math.max(1, Math.floor(M / 20));
  for (const id of [...ids.filter((_, i) => i % step === 0), ids[M - 1]]) {
    const pts = await client.json<unknown[]>('GET', `/v1/metric/${id}/measures?granularity=1`);
    if (pts.length !== N) throw new Error(`${name}: /v1/status shows no backlog but metric ${id} has ${pts.length} of ${N} points at 1 s`);
  }

  let r = 0;
  const readMs = await timed(READS, () => client.json('GET', `/v1/metric/${ids[r++ % M]}/measures?granularity=1`));
  log(`${name}: read median ${readMs.toFixed(2)} ms`);
  const operations = `(aggregate mean (metric ${ids.slice(0, AGG_METRICS).map((id) => `(${id} mean)`).join(' ')}))`;
  const aggregatesMs = await timed(READS, () => client.json('POST', '/v1/aggregates?granularity=1', { operations }));
  log(`${name}: aggregates median ${aggregatesMs.toFixed(2)} ms`);
  return { ingest: total / ((tDone - t0) / 1000), accepted: total / ((tPosted - t0) / 1000), readMs, aggregatesMs };
}


/** A fresh `tally all-in-one` on a free loopback port; resolves once it answers. */
async function startTally(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tally-bench-api-'));
  // the `tally` command, as deployed
  const bin = fileURLToPath(new URL('../bin/tally', import.meta.url));
  // warn: pino's line per request would be part of what is measured
  const child: ChildProcess = spawn(bin, ['all-in-one', '--port', String(port), '--data-dir', dir, '--auth-mode', 'basic'], {
    env: { ...process.env, TALLY_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  };
  const probe = new ApiClient(url, AUTH);
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) break;
    if ((await probe.send('GET', '/v1/').catch(() => null))?.status === 200) return { url, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error('tally did not start');
}

type Column = { name: string; figures: Figures };

function printTable(cols: Column[]): void {
  const int = (x: number): string => Math.round(x).toLocaleString('en-US');
  const ms = (x: number): string => (x < 10 ? x.toFixed(2) : x.toFixed(1));
  const ratio = (x: number): string => `${x < 10 ? x.toFixed(2) : x.toFixed(1)}×`;
  const rows: [string, (f: Figures) => string, (a: Figures, b: Figures) => string][] = [
    [`ingest measures/s (${M.toLocaleString('en-US')} metrics × ${N.toLocaleString('en-US')}, until processed)`, (f) => int(f.ingest), (a, b) => ratio(a.ingest / b.ingest)],
    ['accepted measures/s (POST phase alone)', (f) => int(f.accepted), (a, b) => ratio(a.accepted / b.accepted)],
    [`read median ms (1 metric, ${N} points at 1 s, ${READS} reads)`, (f) => ms(f.readMs), (a, b) => ratio(b.readMs / a.readMs)],
    [`aggregates median ms (mean across ${AGG_METRICS} metrics at 1 s, ${READS} calls)`, (f) => ms(f.aggregatesMs), (a, b) => ratio(b.aggregatesMs / a.aggregatesMs)],
  ];
  const header = ['figure', ...cols.map((c) => c.name), ...(cols.length === 2 ? ['ratio'] : [])];
  const lines = [header, header.map(() => '---')];
  for (const [label, cell, cmp] of rows) {
    lines.push([label, ...cols.map((c) => cell(c.figures)), ...(cols.length === 2 ? [cmp(cols[0].figures, cols[1].figures)] : [])]);
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  for (const l of lines) {
    const cells = l.map((c, i) => (c === '---' ? '-'.repeat(widths[i]) : i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])));
    process.stdout.write(`| ${cells.join(' | ')} |\n`);
  }
  if (cols.length === 2) process.stdout.write(`ratio: how many times ${cols[0].name} is better than ${cols[1].name} (throughput: higher; latency: lower)\n`);
}

async function main(): Promise<void> {
  const cols: Column[] = [];
  if (args.url) {
    log(`server at ${args.url}`);
    cols.push({ name: 'server', figures: await runWorkload(new ApiClient(args.url, AUTH), 'server') });
  } else {
    const tally = await startTally();
    log(`tally on ${tally.url}`);
    try {
      cols.push({ name: 'tally', figures: await runWorkload(new ApiClient(tally.url, AUTH), 'tally') });
    } finally {
      await tally.stop();
    }
  }
  if (args.gnocchi) {
    log('starting the real Gnocchi (test/gnocchi/up.sh)');
    const gnocchi = await startRealGnocchi({ port: Number(args['gnocchi-port']), log: (line) => log(line) });
    try {
      cols.push({ name: 'gnocchi', figures: await runWorkload(new ApiClient(gnocchi.url, gnocchi.authorization), 'gnocchi') });
    } finally {
      await gnocchi.stop();
    }
  }
  printTable(cols);
}

await main();
