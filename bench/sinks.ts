/**
 * What the sinks cost: `tally all-in-one` (the built `tally` command, a fresh
 * store each run) takes measures through the batch API at full speed, first
 * with no sink, then mirroring to QuestDB's protocol (ILP over HTTP into
 * VictoriaMetrics 1.79: no QuestDB server installs here), then forwarding by
 * remote write to Prometheus 2.42. Each run is timed until every measure is
 * aggregated and, with a sink, delivered; tally's own CPU is read from /proc.
 * Prints a table: ingest rate, mirroring rate, CPU, and the extra CPU per
 * million measures against the run without a sink (target: under 25%).
 *
 *   npm run bench:sinks [-- --resources 1000 --measures 1000 --per-request 10 --in-flight 4]
 *
 * Needs Debian's victoria-metrics and prometheus. Loopback only; stops by itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ApiClient, pool } from './api-client.js';
import { freePort } from '../test/helpers/free-port.js';
import { type Service, startPrometheus, startVictoriaMetrics } from '../test/helpers/prometheus-services.js';

const { values: args } = parseArgs({
  options: {
    resources: { type: 'string', default: '1000' },
    measures: { type: 'string', default: '1000' },
    'per-request': { type: 'string', default: '10' },
    'in-flight': { type: 'string', default: '4' },
  },
});
const RESOURCES = Number(args.resources);
const MEASURES = Number(args.measures); // per resource
const PER_REQUEST = Number(args['per-request']); // measures per resource per request
const IN_FLIGHT = Number(args['in-flight']);
const TOTAL = RESOURCES * MEASURES;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'tally');
const TICKS = 100; // /proc's clock ticks per second (USER_HZ)
const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** user + system CPU seconds of a process, all its threads. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

async function startTally(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'tally-bench-sinks-'));
  const port = await freePort();
  const child = spawn(BIN, ['all-in-one'], {
    cwd: ROOT,
    env: { ...process.env, TALLY_DATA_DIR: dir, TALLY_PORT: String(port), TALLY_LOG_LEVEL: 'warn', TALLY_EVALUATION_INTERVAL: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => void (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => void (output += d.toString()));
  const until = Date.now() + 120_000;
  while (!/listening on/.test(output)) {
    if (child.exitCode !== null || Date.now() > until) throw new Error(`tally did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A series' value on tally's /metrics (summed over its labels), or 0. */
async function reading(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

interface Run {
  readonly sink: string;
  readonly ingestSeconds: number;
  readonly doneSeconds: number;
  readonly cpu: number;
  /** measures the receiver refused */
  readonly rejected: number;
}

async function run(sink: string, env: Record<string, string>): Promise<Run> {
  const tally = await startTally(env);
  try {
    const api = new ApiClient(tally.url, 'basic YWRtaW46');
    const ids = Array.from({ length: RESOURCES }, (_, r) => `bench-${r}`);
    await pool(ids, 8, async (id) => {
      await api.json('POST', '/v1/resource/generic', { id, project_id: 'p0', user_id: 'u0', metrics: { 'cpu.util': { archive_policy_name: 'low', unit: '%' } } });
    });
    // recent times, a second apart: within what Prometheus's head takes. Each
    // writer in flight owns its share of the resources and writes their
    // measures in time order, as an agent or a scrape does: a receiver like
    // Prometheus refuses a series' samples out of order
    const t0 = Date.now() - MEASURES * 1000;
    const share = Math.ceil(RESOURCES / IN_FLIGHT);
    const perRequest = Math.max(1, Math.round((RESOURCES * PER_REQUEST) / share));
    const writers = Array.from({ length: IN_FLIGHT }, (_, w) => {
      const mine = ids.slice(w * share, (w + 1) * share);
      const bodies: string[] = [];
      for (let from = 0; from < MEASURES; from += perRequest) {
        const batch: Record<string, Record<string, { timestamp: number; value: number }[]>> = {};
        mine.forEach((id, k) => {
          const r = w * share + k;
          const measures = [];
          for (let i = from; i < Math.min(MEASURES, from + perRequest); i++) measures.push({ timestamp: (t0 + i * 1000) / 1000, value: r + i / 1000 });
          batch[id] = { 'cpu.util': measures };
        });
        bodies.push(JSON.stringify(batch));
      }
      return bodies;
    });
    const pid = tally.child.pid!;
    const cpu0 = cpuSeconds(pid);
    const started = performance.now();
    await Promise.all(writers.map(async (bodies) => {
      for (const body of bodies) await api.json('POST', '/v1/batch/resources/metrics/measures', body);
    }));
    const ingestSeconds = (performance.now() - started) / 1000;
    // done: everything aggregated and, with a sink, delivered
    for (;;) {
      const waiting = (await reading(tally.url, 'tally_incoming_backlog_entries')) + (await reading(tally.url, 'tally_sink_backlog_measures'));
      if (waiting === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const doneSeconds = (performance.now() - started) / 1000;
    const cpu = cpuSeconds(pid) - cpu0;
    const sent = await reading(tally.url, 'tally_sink_measures_sent_total');
    const rejected = await reading(tally.url, 'tally_sink_measures_rejected_total');
    if (sink !== 'none' && sent + rejected < TOTAL) throw new Error(`${sink}: ${sent} of ${TOTAL} measures delivered, ${rejected} refused`);
    return { sink, ingestSeconds, doneSeconds, cpu, rejected };
  } finally {
    await tally.stop();
  }
}

const services: Service[] = [];
try {
  const vmDir = mkdtempSync(join(tmpdir(), 'tally-bench-vm-'));
  const vm = await startVictoriaMetrics(vmDir, await freePort());
  services.push({ ...vm, stop: async () => { await vm.stop(); rmSync(vmDir, { recursive: true, force: true }); } });
  const prometheus = await startPrometheus('global: {}\n', { args: ['--web.enable-remote-write-receiver'] });
  services.push(prometheus);
  log(`bench: ${RESOURCES} resources × ${MEASURES} measures (${TOTAL}), ${RESOURCES * PER_REQUEST} measures per request, ${IN_FLIGHT} writers in flight, each with its share of the resources`);
  const runs: Run[] = [];
  for (const [sink, env] of [
    ['none', {}],
    ['questdb (ILP → VictoriaMetrics)', { TALLY_QUESTDB_URL: `http::addr=127.0.0.1:${vm.port};protocol_version=1;` }],
    ['remote_write (→ Prometheus)', { TALLY_REMOTE_WRITE_URL: `${prometheus.url}/api/v1/write` }],
  ] as const) {
    log(`bench: sink ${sink}`);
    runs.push(await run(sink, env));
  }
  const base = runs[0];
  const f = (n: number, d = 2): string => n.toFixed(d);
  console.log(`\nsinks: ${TOTAL.toLocaleString('en')} measures through the batch API into tally all-in-one, each run on a fresh store\n`);
  console.log('| sink | ingest s | ingest measures/s | done s (aggregated, delivered) | delivered measures/s | refused | tally CPU s | extra CPU s per 1M measures | extra / ingest CPU |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of runs) {
    const extra = r.cpu - base.cpu;
    console.log(
      `| ${r.sink} | ${f(r.ingestSeconds)} | ${Math.round(TOTAL / r.ingestSeconds).toLocaleString('en')} | ${f(r.doneSeconds)} | ${r === base ? '–' : Math.round(TOTAL / r.doneSeconds).toLocaleString('en')} | ${r === base ? '–' : r.rejected} | ${f(r.cpu)} | ${r === base ? '–' : f((extra / TOTAL) * 1e6)} | ${r === base ? '–' : `${f((extra / base.cpu) * 100, 0)}%`} |`,
    );
  }
  console.log('\ntarget: mirroring costs under 25% of ingest CPU');
} finally {
  for (const s of services) await s.stop();
}
