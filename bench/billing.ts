/**
 * Rating a month: tally's built-in rating over a month of usage of 1,000
 * projects and 100,000 resources (billing-cloud.ts), timed through
 * CloudKitty's reporting API (`/v2/summary` by project and type,
 * `/v1/report/total` of every project), with the peak RSS of the tally
 * process; beside it, the real CloudKitty 17 processor (test/cloudkitty/)
 * rating a tenth of the projects from the same tally over the Gnocchi API,
 * its time and peak RSS sampled from /proc.
 *
 *   npm run bench:billing [-- --projects 1000 --resources 100000 --days 30
 *                            --runs 3 --ck-hours 24 --no-cloudkitty --data-dir DIR --fresh]
 *
 * The store is built once per shape (untimed) in a child process and kept in
 * --data-dir (default /tmp/tally-bench-billing-P-R-D); --fresh builds it
 * again. tally runs as `tally api` on it, loopback only. CloudKitty needs
 * root and Debian's packages (test/cloudkitty/up.sh installs them); it
 * rates --ck-hours hourly periods of each of its projects, so its month is
 * that time × days × 24 / ck-hours. Stops by itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort } from '../test/helpers/free-port.js';
import { type CloudShape, type CloudSize, buildCloud, projectId } from './billing-cloud.js';

const { values: args } = parseArgs({
  options: {
    projects: { type: 'string', default: '1000' },
    resources: { type: 'string', default: '100000' },
    days: { type: 'string', default: '30' },
    runs: { type: 'string', default: '3' },
    'ck-hours': { type: 'string', default: '24' },
    'no-cloudkitty': { type: 'boolean', default: false },
    'data-dir': { type: 'string' },
    fresh: { type: 'boolean', default: false },
    build: { type: 'string' },
  },
});
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SHAPE: CloudShape = { projects: Number(args.projects), resources: Number(args.resources), days: Number(args.days), begin: Date.UTC(2026, 10, 1) / 1000 };
const RUNS = Math.max(1, Number(args.runs));
const CK_HOURS = Math.max(1, Number(args['ck-hours']));
const CK_PORT = 28897;
const MB = 2 ** 20;
const log = (line: string): void => void process.stderr.write(`[bench:billing] ${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const isoZ = (s: number): string => new Date(s * 1000).toISOString().slice(0, 19);
const fmt = (n: number): string => n.toLocaleString('en');

// -- /proc ------------------------------------------------------------------------------

const TICK_S = 0.01; // USER_HZ on Linux

/** RSS (bytes; anonymous apart: the rest is mostly the store's mapped pages) and CPU seconds (user + system) of a process; zeros once it is gone. */
function procStat(pid: number): { rss: number; anon: number; cpu: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0) * 1024;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { rss: kb('VmRSS'), anon: kb('RssAnon'), cpu: (Number(fields[11]) + Number(fields[12])) * TICK_S };
  } catch {
    return { rss: 0, anon: 0, cpu: 0 };
  }
}

/** The process's and its children's pids (CloudKitty's rate.py is one process; uwsgi is not measured). */
function descendants(pid: number): number[] {
  const out = [pid];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Samples a process's RSS every 20 ms while `work` runs: its peak, and the CPU the process spent. */
async function measured<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; ms: number; peakRss: number; peakAnon: number; cpu: number }> {
  const before = procStat(pid);
  let peak = before.rss;
  let peakAnon = before.anon;
  let last = before;
  const timer = setInterval(() => {
    const s = procStat(pid);
    if (s.rss > 0) last = s;
    if (s.rss > peak) peak = s.rss;
    if (s.anon > peakAnon) peakAnon = s.anon;
  }, 20);
  const t0 = performance.now();
  try {
    const result = await work();
    const ms = performance.now() - t0;
    const after = procStat(pid);
    if (after.rss > 0) last = after;
    return { result, ms, peakRss: Math.max(peak, after.rss), peakAnon: Math.max(peakAnon, after.anon), cpu: last.cpu - before.cpu };
  } finally {
    clearInterval(timer);
  }
}

// -- HTTP -------------------------------------------------------------------------------

async function call(url: string, method = 'GET', body?: unknown): Promise<{ status: number; text: string }> {
  const r = await fetch(url, {
    method,
    headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(3_600_000),
  });
  return { status: r.status, text: await r.text() };
}

async function ok(url: string, method = 'GET', body?: unknown): Promise<unknown> {
  const r = await call(url, method, body);
  if (r.status >= 300) throw new Error(`${method} ${url}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
  return r.text === '' ? null : (JSON.parse(r.text) as unknown);
}

/** The prices, set through CloudKitty's hashmap API (tally's or CloudKitty's own). */
async function configureRules(base: string): Promise<void> {
  const H = `${base}/v1/rating/module_config/hashmap`;
  const post = async (path: string, body: Record<string, unknown>): Promise<Record<string, unknown>> => (await ok(`${H}/${path}`, 'POST', body)) as Record<string, unknown>;
  const instance = String((await post('services', { name: 'instance' })).service_id);
  const flavor = String((await post('fields', { service_id: instance, name: 'flavor_name' })).field_id);
  for (const [value, cost] of [['m1.small', '0.25'], ['m1.medium', '0.5'], ['m1.large', '2']]) await post('mappings', { field_id: flavor, value, cost, type: 'flat' });
  const volume = String((await post('services', { name: 'volume.size' })).service_id);
  await post('mappings', { service_id: volume, cost: '0.002', type: 'flat' });
  const volumeType = String((await post('fields', { service_id: volume, name: 'volume_type' })).field_id);
  await post('mappings', { field_id: volumeType, value: 'ssd', cost: '2.5', type: 'rate' });
  await post('thresholds', { service_id: volume, level: '100', cost: '0.9', type: 'rate' });
  await post('mappings', { service_id: String((await post('services', { name: 'image.size' })).service_id), cost: '0.00001', type: 'flat' });
  await post('mappings', { service_id: String((await post('services', { name: 'ip.floating' })).service_id), cost: '0.01', type: 'flat' });
}

// -- the store ----------------------------------------------------------------------------

function runChild(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${argv.join(' ')}: exit ${code}`))));
  });
}

/** The store of this shape, built in a child process (so that its memory is not this one's) unless kept from an earlier run. */
async function store(dir: string): Promise<CloudSize> {
  const marker = join(dir, 'bench-billing.json');
  if (!args.fresh && existsSync(marker)) {
    const kept = JSON.parse(readFileSync(marker, 'utf8')) as { shape: CloudShape; size: CloudSize };
    if (JSON.stringify(kept.shape) === JSON.stringify(SHAPE)) {
      log(`using the store built earlier in ${dir} (--fresh builds it again)`);
      return kept.size;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  log(`building ${fmt(SHAPE.projects)} projects, ${fmt(SHAPE.resources)} resources, ${SHAPE.days} days in ${dir}`);
  const t0 = performance.now();
  const out = await runChild(['--import', 'tsx', join(ROOT, 'bench', 'billing.ts'), '--build', dir, '--projects', String(SHAPE.projects), '--resources', String(SHAPE.resources), '--days', String(SHAPE.days)]);
  const size = JSON.parse(out) as CloudSize;
  log(`built in ${((performance.now() - t0) / 1000).toFixed(0)} s: ${fmt(size.points)} points`);
  writeFileSync(marker, JSON.stringify({ shape: SHAPE, size }));
  return size;
}

/** `tally api` on the store, as deployed (bin/tally.js: the build, or the sources through tsx when they changed). */
async function startTally(dir: string): Promise<{ url: string; child: ChildProcess; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'tally.js'), 'api', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dir], {
    cwd: ROOT,
    env: { ...process.env, MALLOC_ARENA_MAX: '2', TALLY_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', () => undefined);
  let errors = '';
  child.stderr!.on('data', (c: Buffer) => (errors = (errors + c.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`tally exited: ${errors}`);
    try {
      if ((await fetch(`${url}/v1/status`, { signal: AbortSignal.timeout(2000) })).ok) break;
    } catch {
      if (i > 600) throw new Error(`tally did not answer: ${errors}`);
    }
    await sleep(100);
  }
  return {
    url,
    child,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

// -- CloudKitty -------------------------------------------------------------------------

interface CkFigures {
  readonly scopes: number;
  readonly periods: number;
  readonly ms: number;
  readonly peakRss: number;
  readonly cpu: number;
  readonly tallyCpu: number;
  readonly failed: number;
}

async function cloudKitty(tally: { url: string; child: ChildProcess }): Promise<CkFigures> {
  const env = {
    CK_PORT: String(CK_PORT),
    CK_GNOCCHI_URL: tally.url,
    CK_GNOCCHI_AUTH: 'noauth',
    CK_GNOCCHI_USER: 'cloudkitty',
    CK_GNOCCHI_PROJECT: 'cloudkitty',
    CK_METRICS: join(ROOT, 'rating', 'config', 'metrics.yml'),
    CK_FETCHER: 'source',
  };
  const script = (name: string, extra: string[] = []): Promise<string> =>
    new Promise((resolve, reject) => {
      const child = spawn('bash', [join(ROOT, 'test', 'cloudkitty', name), ...extra], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
      child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${name}: exit ${code}: ${err}`))));
    });
  log('starting CloudKitty 17 (test/cloudkitty/up.sh)');
  const ckUrl = (await script('up.sh')).trim().split('\n').pop()!;
  try {
    await configureRules(ckUrl);
    const scopes = Array.from({ length: Math.max(1, Math.floor(SHAPE.projects / 10)) }, (_, p) => projectId(p));
    log(`CloudKitty rating ${scopes.length} projects × ${CK_HOURS} hourly periods from tally`);
    const conf = `/tmp/tally-cloudkitty-${CK_PORT}/cloudkitty.conf`;
    const rate = spawn('/usr/bin/python3', [join(ROOT, 'test', 'cloudkitty', 'rate.py'), conf, `${isoZ(SHAPE.begin)}Z`, String(CK_HOURS), ...scopes], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    rate.stdout.on('data', (c: Buffer) => (out += c.toString()));
    rate.stderr.on('data', () => undefined);
    const done = new Promise<number | null>((r) => rate.on('exit', r));
    const tallyBefore = procStat(tally.child.pid!).cpu;
    let peak = 0;
    let cpu = 0;
    const timer = setInterval(() => {
      let rss = 0;
      let c = 0;
      for (const pid of descendants(rate.pid!)) {
        const s = procStat(pid);
        rss += s.rss;
        c += s.cpu;
      }
      if (rss > peak) peak = rss;
      if (c > cpu) cpu = c;
    }, 100);
    const t0 = performance.now();
    const code = await done;
    const ms = performance.now() - t0;
    clearInterval(timer);
    if (code !== 0) throw new Error(`rate.py: exit ${code}`);
    const periods = JSON.parse(out) as { error: string | null }[];
    return { scopes: scopes.length, periods: periods.length, ms, peakRss: peak, cpu, tallyCpu: procStat(tally.child.pid!).cpu - tallyBefore, failed: periods.filter((p) => p.error !== null).length };
  } finally {
    await script('down.sh', ['--purge']).catch((err: Error) => log(`down.sh: ${err.message}`));
  }
}

// -- the run ------------------------------------------------------------------------------

interface Timed {
  readonly name: string;
  readonly ms: number[];
  readonly peakRss: number;
  readonly peakAnon: number;
  readonly cpu: number;
  readonly answer: string;
}

async function main(): Promise<void> {
  if (args.build !== undefined) {
    const size = await buildCloud(args.build, SHAPE, log);
    process.stdout.write(JSON.stringify(size));
    return;
  }
  const dir = args['data-dir'] ?? `/tmp/tally-bench-billing-${SHAPE.projects}-${SHAPE.resources}-${SHAPE.days}`;
  const size = await store(dir);
  const tally = await startTally(dir);
  try {
    // the rules are the index's: set again on every run (a kept store has them from the last: reset first)
    const services = (await ok(`${tally.url}/v1/rating/module_config/hashmap/services`)) as { services: { service_id: string }[] };
    for (const s of services.services) await ok(`${tally.url}/v1/rating/module_config/hashmap/services/${s.service_id}`, 'DELETE');
    await configureRules(tally.url);
    const span = `begin=${isoZ(SHAPE.begin)}&end=${isoZ(SHAPE.begin + SHAPE.days * 86_400)}`;
    const idle = procStat(tally.child.pid!);
    const queries = [
      { name: '/v2/summary by project and type', path: `/v2/summary?${span}&groupby=project_id,type&limit=10000` },
      { name: '/v1/report/total, all projects', path: `/v1/report/total?${span}&all_tenants=true` },
    ];
    const timed: Timed[] = [];
    for (const q of queries) {
      const ms: number[] = [];
      let peakRss = 0;
      let peakAnon = 0;
      let cpu = 0;
      let answer = '';
      for (let r = 0; r < RUNS; r++) {
        const m = await measured(tally.child.pid!, () => ok(`${tally.url}${q.path}`));
        ms.push(m.ms);
        peakRss = Math.max(peakRss, m.peakRss);
        peakAnon = Math.max(peakAnon, m.peakAnon);
        cpu += m.cpu;
        answer = typeof m.result === 'string' ? m.result : `${(m.result as { total: number }).total} rows`;
        log(`${q.name}: ${m.ms.toFixed(0)} ms, peak RSS ${(m.peakRss / MB).toFixed(0)} MB`);
      }
      timed.push({ name: q.name, ms, peakRss, peakAnon, cpu: cpu / RUNS, answer });
    }
    const lines = ((await ok(`${tally.url}/v2/dataframes?${span}&limit=1`)) as { total: number }).total;
    const ck = args['no-cloudkitty'] ? null : await cloudKitty(tally).catch((err: Error) => (log(`CloudKitty: ${err.message}`), null));

    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    process.stdout.write(`\nbench:billing, ${new Date().toISOString().slice(0, 10)}: ${fmt(SHAPE.projects)} projects, ${fmt(SHAPE.resources)} resources (${Object.entries(size.byType).map(([k, v]) => `${fmt(v)} ${k}`).join(', ')}; ${fmt(size.revisions)} revisions in history), ${SHAPE.days} days, ${fmt(size.points)} points at 300 s; ${fmt(lines)} rated lines\n\n`);
    process.stdout.write('| rating | wall s (first / median of runs) | CPU s | peak RSS MB (anonymous) | answer |\n|---|---|---|---|---|\n');
    for (const t of timed) {
      process.stdout.write(`| tally ${t.name} | ${(t.ms[0] / 1000).toFixed(2)} / ${(median(t.ms) / 1000).toFixed(2)} | ${t.cpu.toFixed(2)} | ${(t.peakRss / MB).toFixed(0)} (${(t.peakAnon / MB).toFixed(0)}; idle ${(idle.rss / MB).toFixed(0)}) | ${t.answer.slice(0, 40)} |\n`);
    }
    if (ck) {
      const month = (ck.ms / 1000) * ((SHAPE.days * 24) / CK_HOURS);
      process.stdout.write(`| CloudKitty 17 processor, ${ck.scopes} projects × ${ck.periods / ck.scopes} h from tally | ${(ck.ms / 1000).toFixed(1)} (month: ~${fmt(Math.round(month))}) | ${ck.cpu.toFixed(1)} (+ tally ${ck.tallyCpu.toFixed(1)}) | ${(ck.peakRss / MB).toFixed(0)} | ${ck.periods} periods, ${ck.failed} failed |\n`);
    }
  } finally {
    await tally.stop();
  }
}

main().catch((err: Error) => {
  log(err.stack ?? err.message);
  process.exitCode = 1;
});
