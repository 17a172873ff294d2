/**
 * Alarm evaluation benchmark: how many threshold alarms one evaluation cycle
 * gets through, for 1,000, 10,000 and 100,000 alarms over resources with
 * live data (target: 100,000 alarms within one 60 s interval; Aodh makes one
 * HTTP call to Gnocchi per alarm). Prints tables.
 *
 *   node --import tsx bench/alarms.ts [--sizes 1000,10000,100000] [--quick]
 *        [--http-alarms 500] [--shuffle] [--in-flight 8] [--steady-cycles 1]
 *        [--cpu-prof DIR] [--heap-snapshot DIR]
 *
 * Per size N, on a fresh server (startTestServer: embedded storage, the
 * alarms role, no evaluation schedule; the bench drives the cycles):
 *
 * - N/10 generic resources, each with a `cpu_util` metric on Gnocchi's
 *   `medium` policy (1 min × 7 days, 1 h × 365 days; mean min max sum std
 *   count), created over HTTP as the collector (creator tally:collector) in
 *   projects of 5 resources;
 * - live data: 10 minutes of measures 10 s apart for every metric, pushed
 *   through POST /v1/batch/resources/metrics/measures (Ceilometer's call),
 *   100 resources per request, and processed (GET /v1/status shows no backlog);
 * - N alarms, 50 per project: per resource 8 `gnocchi_resources_threshold`
 *   alarms (4 on mean over 3 periods, 2 on max over 1, 2 on min over 5:
 *   3 distinct reads); per project 5 `gnocchi_aggregation_by_metrics_threshold`
 *   alarms over its 5 metrics and 5 `gnocchi_aggregation_by_resources_threshold`
 *   alarms on `{"=": {"project_id": P}}` (3 on mean over 3 periods, 2 on max
 *   over 1: 2 distinct reads each). 80 % / 10 % / 10 %. Every 10th alarm has
 *   an http:// alarm and ok action to a loopback receiver that answers 200.
 *   Alarms are created in project order (alarms reading the same data are
 *   neighbours, as when a stack creates its alarms); --shuffle creates them
 *   in random order instead.
 *
 *   The first --http-alarms alarms are created through POST /v2/alarms, as
 *   the project's member (timed: creations/s). The rest are inserted in bulk
 *   through the alarm store's SQL, 1,000 rows per statement, with their
 *   'creation' history lines: each body still goes through parseAlarmBody
 *   and a by-resources query is scoped to its project as the API does, but
 *   this bypasses the API's per-alarm checks (aggregation method against
 *   the store's, the by-resources trial search, quotas, action schemes,
 *   trusts) and its one-transaction-per-alarm write.
 *
 * Measured: a first cycle at T (every alarm leaves 'insufficient data':
 * state writes, history lines, outbox rows for the alarms with actions),
 * the outbox drained by the notifier (delivered/s), then one more minute of
 * data for every metric (1 % of the resources spike to 100) and a steady
 * cycle at T + 60 s (few transitions); --steady-cycles K repeats that K
 * times, a minute apart (the tables show the last; the notes list them all,
 * with the alarm table's size, which grows by a row version per alarm and
 * cycle until vacuumed). Each cycle's CPU seconds (process.cpuUsage: every
 * thread, PGlite included), peak RSS, and where the time goes, two ways
 * (the evaluator is not changed, only wrapped here):
 * - the evaluator's store calls and statistics reads, wall time: batches
 *   run two at a time, so these are sums over batches that overlap, and a
 *   store call's time includes waiting for PGlite, which runs one statement
 *   at a time;
 * - PGlite's own execution, timed around its synchronous
 *   execProtocolRawSync (WebAssembly on this thread) and attributed to the
 *   statement or transaction it is running: exclusive, so these add up.
 * --cpu-prof DIR writes a V8 CPU profile of each cycle and logs its shares
 * (PGlite, GC, each tally file); --heap-snapshot DIR a V8 heap snapshot after
 * the last steady cycle (what the evaluator holds between cycles).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { type IncomingMessage, type ServerResponse, createServer, Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { PGlite } from '@electric-sql/pglite';
import { parseAlarmBody } from '../alarms/api/alarm-input.js';
import { alarmRecord } from '../alarms/api/alarm-json.js';
import { Evaluator, type CycleStats } from '../alarms/evaluator/evaluator.js';
import { InProcessSource } from '../alarms/evaluator/in-process-source.js';
import { type Alarm, type AlarmChange, REASON_NOT_EVALUATED, type ResourcesAggregationRule } from '../alarms/model.js';
import { OutboxWorker } from '../alarms/notifiers/outbox.js';
import { AlarmStore } from '../alarms/store/alarm-store.js';
import { pythonJson } from '../tsdb/api/python-json.js';
import { type TestServer, startTestServer } from '../test/helpers/tally-server.js';
import { residentOf } from '../exporters/process-memory.js';
import { pool, sendHttp } from './api-client.js';
import { tuneRuntime } from '../cli/runtime.js';

// measured as a tally process runs: with its V8 settings
tuneRuntime();

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string' },
    quick: { type: 'boolean', default: false },
    'http-alarms': { type: 'string', default: '500' },
    shuffle: { type: 'boolean', default: false },
    'in-flight': { type: 'string', default: '8' },
    // steady cycles after the first, a minute of data apart; the tables show the last
    'steady-cycles': { type: 'string', default: '1' },
    // write a V8 CPU profile of each evaluation cycle into this directory
    'cpu-prof': { type: 'string' },
    // write a V8 heap snapshot after the last steady cycle into this directory
    'heap-snapshot': { type: 'string' },
  },
});
const SIZES = (args.sizes ?? (args.quick ? '1000,10000' : '1000,10000,100000')).split(',').map((s) => Number(s.trim()));
if (SIZES.some((n) => !Number.isInteger(n) || n < 50)) throw new Error('--sizes: integers of at least 50');
const HTTP_ALARMS = Number(args['http-alarms']);
const IN_FLIGHT = Number(args['in-flight']);
const STEADY_CYCLES = Math.max(1, Number(args['steady-cycles']));

const RESOURCES_PER_PROJECT = 5;
const ALARMS_PER_PROJECT = 50;
const POLICY = 'medium';
const MINUTES = 10;
const STEP_S = 10;
/** the collector's identity: resources it creates count as their project's (alarm_external_project_owner) */
const COLLECTOR = { 'x-user-id': 'tally', 'x-project-id': 'collector', 'x-roles': 'admin' };
const EXTERNAL_OWNER = 'collector';

const started = performance.now();
const log = (msg: string): void => {
  process.stderr.write(`[bench:alarms ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${msg}\n`);
};

// ---- HTTP ------------------------------------------------------------------

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

async function call<T>(base: string, method: string, path: string, headers: Record<string, string>, body?: unknown, expect: number[] = [200, 201, 202, 204]): Promise<T> {
  const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const reply = await sendHttp(new URL(path, base), method, headers, text, agent, 300_000);
  if (!expect.includes(reply.status)) throw new Error(`${method} ${path} -> ${reply.status} ${reply.text.slice(0, 500)}`);
  return (reply.text ? JSON.parse(reply.text) : null) as T;
}

/** Calls `fn` on a progress line every 10 s while `work` runs. */
async function withProgress<T>(work: Promise<T>, line: () => string): Promise<T> {
  const timer = setInterval(() => log(line()), 10_000);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

/** The webhook receiver: answers 200 at once and counts. */
interface Receiver {
  url: string;
  count: number;
  first: number;
  last: number;
  reset(): void;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const r = {
    url: '',
    count: 0,
    first: 0,
    last: 0,
    reset() {
      r.count = 0;
      r.first = 0;
      r.last = 0;
    },
    close: async () => undefined,
  } as Receiver;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      const t = performance.now();
      if (r.count === 0) r.first = t;
      r.last = t;
      r.count++;
      res.writeHead(200, { 'content-length': 0 }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  r.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return r;
}

// ---- where the time goes ---------------------------------------------------

interface Phase {
  ms: number;
  calls: number;
}
const phases = new Map<string, Phase>();
const PHASES = {
  load: 'load enabled alarms (versions, then what changed; SQL, once per cycle)',
  batch: 'batches, total (evaluateBatch)',
  read: 'statistics reads (source.read, per batch)',
  resolve: '  of which: (resource, metric) → metric id (SQL)',
  search: '  of which: resource searches (SQL)',
  writes: 'state writes + history + outbox (SQL, one transaction per batch)',
} as const;

function record(name: string, ms: number): void {
  const p = phases.get(name) ?? { ms: 0, calls: 0 };
  p.ms += ms;
  p.calls++;
  phases.set(name, p);
}

type AsyncFn = (this: unknown, ...a: unknown[]) => Promise<unknown>;
function wrap(proto: object, method: string, name: string): void {
  const target = proto as Record<string, AsyncFn>;
  const original = target[method];
  if (typeof original !== 'function') throw new Error(`cannot time ${method}: not found`);
  target[method] = async function (this: unknown, ...a: unknown[]): Promise<unknown> {
    const t = performance.now();
    try {
      return await original.apply(this, a);
    } finally {
      record(name, performance.now() - t);
    }
  };
}

// prototypes, so that every server's store, evaluator and source is timed
wrap(Evaluator.prototype, 'workingSet', PHASES.load);
wrap(AlarmStore.prototype, 'applyStateUpdates', PHASES.writes);
wrap(Evaluator.prototype, 'evaluateBatch', PHASES.batch);
wrap(InProcessSource.prototype, 'read', PHASES.read);
wrap(InProcessSource.prototype, 'resolveResourceMetrics', PHASES.resolve);
wrap(InProcessSource.prototype, 'search', PHASES.search);

// PGlite executes statements synchronously, in WebAssembly on this thread, one at a time: the time spent
// in its execProtocolRawSync is exact and exclusive; it is attributed to the statement (or transaction)
// that the store's one-at-a-time queue handed to PGlite last
const SQL_PHASE = 'PGlite: ';
const SQL = {
  load: `${SQL_PHASE}load enabled alarms`,
  resolve: `${SQL_PHASE}(resource, metric) → metric id`,
  search: `${SQL_PHASE}resource searches (the resource type, then the metrics of matching resources)`,
  transactions: `${SQL_PHASE}transactions: state writes + history + outbox; deliveries`,
  outbox: `${SQL_PHASE}outbox polling`,
  other: `${SQL_PHASE}other statements`,
} as const;
function sqlLabel(text: string): string {
  if (text.startsWith('SELECT alarm_id, type, name') || text.startsWith('SELECT alarm_id, timestamp::text')) return SQL.load;
  if (text.startsWith('SELECT r.id AS rid')) return SQL.resolve;
  if (/FROM resource_type WHERE name|^SELECT m\.resource_id, m\.name, m\.id FROM/.test(text)) return SQL.search;
  if (/alarm_outbox/.test(text)) return SQL.outbox;
  return SQL.other;
}
let sqlCurrent: string = SQL.other;
wrapSql();
function wrapSql(): void {
  const proto = PGlite.prototype as unknown as Record<string, (this: unknown, ...a: unknown[]) => unknown>;
  const { query, transaction, execProtocolRawSync } = proto;
  if (typeof execProtocolRawSync !== 'function') throw new Error('cannot time PGlite: no execProtocolRawSync');
  proto.query = function (this: unknown, ...a: unknown[]): unknown {
    sqlCurrent = sqlLabel(String(a[0]));
    const p = phases.get(sqlCurrent) ?? { ms: 0, calls: 0 };
    p.calls++;
    phases.set(sqlCurrent, p);
    return query.apply(this, a);
  };
  proto.transaction = function (this: unknown, ...a: unknown[]): unknown {
    sqlCurrent = SQL.transactions;
    const p = phases.get(sqlCurrent) ?? { ms: 0, calls: 0 };
    p.calls++;
    phases.set(sqlCurrent, p);
    return transaction.apply(this, a);
  };
  proto.execProtocolRawSync = function (this: unknown, ...a: unknown[]): unknown {
    const t = performance.now();
    try {
      return execProtocolRawSync.apply(this, a);
    } finally {
      const p = phases.get(sqlCurrent) ?? { ms: 0, calls: 0 };
      p.ms += performance.now() - t;
      phases.set(sqlCurrent, p);
    }
  };
}

let peakRss = 0;
const rssTimer = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 200);
rssTimer.unref();

// ---- the workload ----------------------------------------------------------

interface Project {
  readonly id: string;
  readonly user: string;
  readonly resources: string[];
  readonly metrics: string[];
}

interface PlannedAlarm {
  readonly body: Record<string, unknown>;
  readonly project: Project;
  /** what it reads: alarms with equal keys share one read */
  readonly readKey: string;
}

let seed = 42;
const rand = (): number => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};

const threshold = (op: string, value: number, aggregation: string, periods: number): Record<string, unknown> => ({
  comparison_operator: op,
  threshold: value,
  aggregation_method: aggregation,
  evaluation_periods: periods,
  granularity: 60,
});

/** N alarms, project by project (see the header). */
function planAlarms(projects: readonly Project[], n: number, hook: string): PlannedAlarm[] {
  const out: PlannedAlarm[] = [];
  const add = (project: Project, name: string, type: string, rule: Record<string, unknown>, readKey: string): void => {
    const actions = out.length % 10 === 0 ? { alarm_actions: [hook], ok_actions: [hook] } : {};
    out.push({ project, readKey, body: { name, type, [`${type}_rule`]: rule, severity: 'moderate', ...actions } });
  };
  const resourceRules: [string, number, string, number][] = [
    ['gt', 90, 'mean', 3], ['gt', 70, 'mean', 3], ['lt', 30, 'mean', 3], ['lt', 10, 'mean', 3],
    ['gt', 95, 'max', 1], ['ge', 99, 'max', 1],
    ['lt', 5, 'min', 5], ['le', 1, 'min', 5],
  ];
  const groupRules: [string, number, string, number][] = [['gt', 80, 'mean', 3], ['lt', 20, 'mean', 3], ['gt', 50, 'mean', 3], ['gt', 95, 'max', 1], ['ge', 99, 'max', 1]];
  for (const p of projects) {
    p.resources.forEach((rid, k) => {
      for (const [op, v, agg, periods] of resourceRules) {
        add(p, `cpu-${op}${v}-${agg}-${k}`, 'gnocchi_resources_threshold', { ...threshold(op, v, agg, periods), metric: 'cpu_util', resource_id: rid, resource_type: 'generic' }, `r|${rid}|${agg}|${periods}`);
      }
    });
    for (const [op, v, agg, periods] of groupRules) {
      add(p, `group-${op}${v}-${agg}`, 'gnocchi_aggregation_by_metrics_threshold', { ...threshold(op, v, agg, periods), metrics: p.metrics }, `m|${p.id}|${agg}|${periods}`);
    }
    for (const [op, v, agg, periods] of groupRules) {
      add(p, `project-${op}${v}-${agg}`, 'gnocchi_aggregation_by_resources_threshold', { ...threshold(op, v, agg, periods), metric: 'cpu_util', resource_type: 'generic', query: JSON.stringify({ '=': { project_id: p.id } }) }, `q|${p.id}|${agg}|${periods}`);
    }
  }
  if (args.shuffle) {
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
  }
  return out.slice(0, n);
}

/** The query the API stores for a member's by-resources alarm (alarm-routes' checkRule). */
function scopedQuery(query: string, project: string): string {
  const perms = { or: [{ '=': { created_by_project_id: project } }, { and: [{ '=': { created_by_project_id: EXTERNAL_OWNER } }, { '=': { project_id: project } }] }] };
  return pythonJson({ and: [perms, JSON.parse(query)] });
}

const ALARM_COLUMNS = [
  ['alarm_id', 'text'], ['type', 'text'], ['name', 'text'], ['description', 'text'], ['enabled', 'boolean'], ['user_id', 'text'], ['project_id', 'text'],
  ['state', 'text'], ['state_reason', 'text'], ['severity', 'text'], ['ok_actions', 'jsonb'], ['alarm_actions', 'jsonb'], ['insufficient_data_actions', 'jsonb'],
  ['repeat_actions', 'boolean'], ['rule', 'json'], ['time_constraints', 'json'], ['timestamp', 'int8'], ['state_timestamp', 'int8'], ['evaluate_timestamp', 'int8'],
] as const;
const HISTORY_COLUMNS = [['event_id', 'text'], ['alarm_id', 'text'], ['type', 'text'], ['detail', 'text'], ['user_id', 'text'], ['project_id', 'text'], ['on_behalf_of', 'text'], ['severity', 'text'], ['timestamp', 'int8']] as const;

function multiRowInsert(table: string, columns: readonly (readonly [string, string])[], rows: readonly unknown[][]): [string, unknown[]] {
  const params: unknown[] = [];
  const tuples = rows.map((row) => `(${row.map((v, i) => `$${params.push(v)}::${columns[i][1]}`).join(', ')})`);
  return [`INSERT INTO ${table} (${columns.map((c) => c[0]).join(', ')}) VALUES ${tuples.join(', ')}`, params];
}

/** Inserts alarms as POST /v2/alarms leaves them (alarm row + 'creation' history line), 1,000 per statement. */
async function bulkInsert(store: AlarmStore, planned: readonly PlannedAlarm[]): Promise<void> {
  const CHUNK = 1000;
  for (let i = 0; i < planned.length; i += CHUNK) {
    const alarms: unknown[][] = [];
    const history: unknown[][] = [];
    for (const p of planned.slice(i, i + CHUNK)) {
      let input = parseAlarmBody(p.body);
      if (input.type === 'gnocchi_aggregation_by_resources_threshold') {
        const r = input.rule as ResourcesAggregationRule;
        input = { ...input, rule: { ...r, query: scopedQuery(r.query, p.project.id) } };
      }
      const at = Date.now() * 1000;
      const alarm: Alarm = {
        alarm_id: randomUUID(), type: input.type, name: input.name, description: input.description, enabled: input.enabled,
        user_id: p.project.user, project_id: p.project.id, state: input.state, state_reason: REASON_NOT_EVALUATED, severity: input.severity,
        ok_actions: input.ok_actions, alarm_actions: input.alarm_actions, insufficient_data_actions: input.insufficient_data_actions,
        repeat_actions: input.repeat_actions, rule: input.rule, time_constraints: input.time_constraints, timestamp: at, state_timestamp: at, evaluate_timestamp: at,
      };
      alarms.push([
        alarm.alarm_id, alarm.type, alarm.name, alarm.description, alarm.enabled, alarm.user_id, alarm.project_id, alarm.state, alarm.state_reason, alarm.severity,
        JSON.stringify(alarm.ok_actions), JSON.stringify(alarm.alarm_actions), JSON.stringify(alarm.insufficient_data_actions), alarm.repeat_actions,
        JSON.stringify(alarm.rule), JSON.stringify(alarm.time_constraints), alarm.timestamp, alarm.state_timestamp, alarm.evaluate_timestamp,
      ]);
      const c: AlarmChange = {
        event_id: randomUUID(), alarm_id: alarm.alarm_id, type: 'creation', detail: pythonJson(alarmRecord(alarm)),
        user_id: p.project.user, project_id: p.project.id, on_behalf_of: p.project.id, severity: alarm.severity, timestamp: at,
      };
      history.push([c.event_id, c.alarm_id, c.type, c.detail, c.user_id, c.project_id, c.on_behalf_of, c.severity, c.timestamp]);
    }
    await store.sql.transaction(async (tx) => {
      await tx.query(...multiRowInsert('alarm', ALARM_COLUMNS, alarms));
      await tx.query(...multiRowInsert('alarm_history', HISTORY_COLUMNS, history));
    });
  }
}

/** One minute of data (6 measures) per resource: around its level, or at 100 for a spiking one. */
function minuteOf(level: number, minuteStartS: number, spike: boolean): { timestamp: string; value: number }[] {
  const out: { timestamp: string; value: number }[] = [];
  for (let s = 0; s < 60; s += STEP_S) {
    const v = spike ? 100 : Math.min(100, Math.max(0, level + (rand() - 0.5) * 10));
    out.push({ timestamp: new Date((minuteStartS + s) * 1000).toISOString(), value: Math.round(v * 100) / 100 });
  }
  return out;
}

async function pushMeasures(url: string, projects: readonly Project[], levels: Map<string, number>, fromS: number, minutes: number, spiking: (rid: string, i: number) => boolean): Promise<number> {
  const rids = projects.flatMap((p) => p.resources);
  const bodies: string[] = [];
  let total = 0;
  for (let i = 0; i < rids.length; i += 100) {
    const body: Record<string, { cpu_util: { timestamp: string; value: number }[] }> = {};
    rids.slice(i, i + 100).forEach((rid, k) => {
      const measures = [];
      for (let m = 0; m < minutes; m++) measures.push(...minuteOf(levels.get(rid)!, fromS + m * 60, spiking(rid, i + k)));
      total += measures.length;
      body[rid] = { cpu_util: measures };
    });
    bodies.push(JSON.stringify(body));
  }
  let sent = 0;
  await withProgress(
    pool(bodies, 4, async (b) => {
      await call(url, 'POST', '/v1/batch/resources/metrics/measures', COLLECTOR, b, [202]);
      sent++;
    }),
    () => `  measures: ${sent}/${bodies.length} requests sent`,
  );
  const deadline = performance.now() + 600_000;
  let lastLog = performance.now();
  for (;;) {
    const st = await call<{ storage: { summary: { measures: number } } }>(url, 'GET', '/v1/status?details=false', COLLECTOR);
    if (st.storage.summary.measures === 0) break;
    if (performance.now() > deadline) throw new Error(`measures still not processed after 600 s (backlog ${st.storage.summary.measures})`);
    if (performance.now() - lastLog > 10_000) {
      log(`  measures: backlog ${st.storage.summary.measures}`);
      lastLog = performance.now();
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return total;
}

// ---- one size --------------------------------------------------------------

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** The profile's samples by component: PGlite (its JS and WebAssembly), GC, each tally file (self time), the rest. */
function profileShares(p: CpuProfile): string {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const shares = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const self = byId.get(p.samples[i])!;
    let component: string | null = null;
    for (let id: number | undefined = self.id; id !== undefined; id = parent.get(id)) {
      const { url, functionName } = byId.get(id)!.callFrame;
      if (url.includes('@electric-sql/pglite') || /^[0-9a-f]{8}$/.test(url)) component = 'PGlite';
      // the profiler's own stop call
      if (url === 'node:inspector' && functionName === 'post') component = 'skip';
    }
    const { url, functionName } = self.callFrame;
    component ??= functionName === '(garbage collector)' ? 'GC' : url.endsWith('.ts') ? url.slice(url.lastIndexOf('/') + 1) : url.includes('lmdb') ? 'lmdb' : 'other';
    if (component === 'skip') continue;
    shares.set(component, (shares.get(component) ?? 0) + p.timeDeltas[i]);
    total += p.timeDeltas[i];
  }
  return [...shares].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => `${k} ${Math.round((100 * v) / total)} %`).join(', ');
}

interface CycleFigures {
  stats: CycleStats;
  cpuS: number;
  breakdown: Map<string, Phase>;
}

interface Result {
  n: number;
  resources: number;
  distinctReads: number;
  resourceCreationsPerS: number;
  measures: number;
  measuresS: number;
  httpAlarms: number;
  httpCreationsPerS: number;
  bulkAlarms: number;
  bulkPerS: number;
  first: CycleFigures;
  steady: CycleFigures;
  notifications: number;
  delivered: number;
  deliveredPerS: number;
  drainedAfterS: number;
  deliveryNote: string;
  stateLine: string;
  steadySeconds: number[];
  tableMb: number[];
  unknown: { type: string; reason: string; n: number }[];
  rssMb: number;
  peakRssMb: number;
  totalS: number;
}

async function cycle(server: TestServer, nowUs: number, name: string): Promise<CycleFigures> {
  phases.clear();
  let session: Session | null = null;
  if (args['cpu-prof']) {
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  const cpu0 = process.cpuUsage();
  const stats = await server.alarms!.evaluate(nowUs);
  const cpu = process.cpuUsage(cpu0);
  if (session) {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(args['cpu-prof']!, { recursive: true });
    const file = join(args['cpu-prof']!, `alarms-${name}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
    log(`  CPU profile: ${file}: ${profileShares(profile as unknown as CpuProfile)}`);
  }
  return { stats, cpuS: (cpu.user + cpu.system) / 1e6, breakdown: new Map([...phases].map(([k, v]) => [k, { ...v }])) };
}

async function runSize(n: number, receiver: Receiver): Promise<Result> {
  const t0 = performance.now();
  receiver.reset();
  const server = await startTestServer({ evaluation_interval: 0 }, { collector: false, alarms: true });
  try {
    const url = server.url;
    const projectCount = Math.ceil(n / ALARMS_PER_PROJECT);
    const projects: Project[] = Array.from({ length: projectCount }, (_, i) => ({ id: randomUUID().replace(/-/g, ''), user: `user-${i}`, resources: [], metrics: [] }));
    const resourceCount = projectCount * RESOURCES_PER_PROJECT;
    log(`${n} alarms: ${resourceCount} resources in ${projectCount} projects on ${url}`);

    // resources, as the collector creates them
    const jobs = projects.flatMap((p) => Array.from({ length: RESOURCES_PER_PROJECT }, () => p));
    let tr = performance.now();
    let created = 0;
    await withProgress(
      pool(jobs, IN_FLIGHT, async (p) => {
        const r = await call<{ id: string; metrics: Record<string, string> }>(url, 'POST', '/v1/resource/generic', COLLECTOR, {
          id: randomUUID(),
          project_id: p.id,
          user_id: p.user,
          metrics: { cpu_util: { archive_policy_name: POLICY } },
        });
        p.resources.push(r.id);
        p.metrics.push(r.metrics.cpu_util);
        created++;
      }),
      () => `  resources: ${created}/${resourceCount}`,
    );
    const resourceCreationsPerS = resourceCount / ((performance.now() - tr) / 1000);
    log(`  ${resourceCount} resources in ${((performance.now() - tr) / 1000).toFixed(1)} s`);

    // live data: the last 10 minutes, ending at T (a minute boundary a minute ago)
    const T = Math.floor(Date.now() / 60_000) * 60 - 60;
    const levels = new Map<string, number>();
    for (const p of projects) for (const rid of p.resources) levels.set(rid, 2 + rand() * 96);
    tr = performance.now();
    const measures = await pushMeasures(url, projects, levels, T - MINUTES * 60, MINUTES, () => false);
    const measuresS = (performance.now() - tr) / 1000;
    log(`  ${measures} measures sent and processed in ${measuresS.toFixed(1)} s`);

    // alarms, made in a scope of their own: the bench's copies of 100,000 alarm bodies must not stay in memory through the cycles it measures
    const { store, distinctReads, viaHttp, httpCreationsPerS, bulkPerS, withActions } = await (async () => {
      const planned = planAlarms(projects, n, receiver.url);
      const distinctReads = new Set(planned.map((p) => p.readKey)).size;
      const viaHttp = planned.slice(0, Math.min(HTTP_ALARMS, n));
      tr = performance.now();
      await pool(viaHttp, 4, async (p) => {
        await call(url, 'POST', '/v2/alarms', { 'x-user-id': p.project.user, 'x-project-id': p.project.id, 'x-roles': 'member' }, p.body, [201]);
      });
      const httpCreationsPerS = viaHttp.length / ((performance.now() - tr) / 1000);
      log(`  ${viaHttp.length} alarms over HTTP: ${httpCreationsPerS.toFixed(0)}/s`);
      const store = server.alarms!.store;
      // the bulk path must store what the API stores: compare a by-resources alarm's query
      const sample = viaHttp.find((p) => p.body.type === 'gnocchi_aggregation_by_resources_threshold');
      if (sample) {
        const [stored] = await store.list({ project_id: sample.project.id, type: 'gnocchi_aggregation_by_resources_threshold' }, { limit: 1 });
        const expected = scopedQuery((sample.body.gnocchi_aggregation_by_resources_threshold_rule as { query: string }).query, sample.project.id);
        if ((stored.rule as ResourcesAggregationRule).query !== expected) throw new Error(`bulk insert would differ from the API: ${(stored.rule as ResourcesAggregationRule).query} vs ${expected}`);
      }
      const bulk = planned.slice(viaHttp.length);
      tr = performance.now();
      let inserted = 0;
      const bulkWork = (async () => {
        for (let i = 0; i < bulk.length; i += 10_000) {
          await bulkInsert(store, bulk.slice(i, i + 10_000));
          inserted = Math.min(bulk.length, i + 10_000);
        }
      })();
      await withProgress(bulkWork, () => `  bulk insert: ${inserted}/${bulk.length}`);
      const bulkPerS = bulk.length / ((performance.now() - tr) / 1000 || 1e-9);
      log(`  ${bulk.length} alarms inserted in bulk in ${((performance.now() - tr) / 1000).toFixed(1)} s`);
      const withActions = planned.filter((p) => p.body.alarm_actions !== undefined).length;
      return { store, distinctReads, viaHttp: viaHttp.length, httpCreationsPerS, bulkPerS, withActions };
    })();

    // first cycle: every alarm leaves 'insufficient data'
    peakRss = process.memoryUsage().rss;
    log(`  first cycle (${n} alarms, ${distinctReads} distinct reads, ${withActions} with actions)`);
    const first = await cycle(server, T * 1e6, `${n}-first`);
    const afterFirst = performance.now();
    const states = await store.sql.query<{ type: string; state: string; n: number }>('SELECT type, state, count(*)::int AS n FROM alarm GROUP BY type, state ORDER BY type, state');
    const stateLine = states.map((s) => `${s.type.replace(/^gnocchi_/, '')} ${s.state} ${s.n}`).join(', ');
    log(`  states: ${stateLine}`);
    // why alarms stay in 'insufficient data': the evaluator's explanation of one per type
    const unknownRows = await store.sql.query<{ type: string; id: string; n: number }>("SELECT type, min(alarm_id) AS id, count(*)::int AS n FROM alarm WHERE state = 'insufficient data' GROUP BY type");
    const unknown = await Promise.all(
      unknownRows.map(async (u) => {
        const [alarm] = await store.getMany([u.id]);
        return { type: u.type, n: u.n, reason: ((alarm && server.alarms!.evaluator.explain(alarm)?.rules[0]?.outcome.unknownReason) ?? '?').slice(0, 200) };
      }),
    );
    log(`  first cycle: ${(first.stats.durationMs / 1000).toFixed(2)} s, ${first.stats.reads} reads, ${first.stats.transitions} transitions, ${first.stats.notifications} notifications`);

    // the outbox, delivered to the receiver
    const worker = server.alarms!.delivery;
    let deliveryNote = '';
    const drainDeadline = performance.now() + 300_000;
    let lastLog = performance.now();
    while ((await store.pendingCount()) > 0) {
      if (performance.now() > drainDeadline) {
        deliveryNote = `outbox not drained 300 s after the first cycle (${await store.pendingCount()} left)`;
        break;
      }
      if (performance.now() - lastLog > 10_000) {
        log(`  outbox: ${receiver.count}/${first.stats.notifications} delivered`);
        lastLog = performance.now();
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const drainedAfterS = (performance.now() - afterFirst) / 1000;
    const delivered = receiver.count;
    const deliveredPerS = delivered > 1 ? (delivered - 1) / ((receiver.last - receiver.first) / 1000) : 0;
    if (worker instanceof OutboxWorker) {
      const s = worker.stats();
      if (s.failedAttempts || s.abandoned) deliveryNote += `${deliveryNote ? '; ' : ''}${s.failedAttempts} failed attempts, ${s.abandoned} abandoned`;
    }
    log(`  outbox: ${delivered} delivered, ${deliveredPerS.toFixed(0)}/s, drained ${drainedAfterS.toFixed(1)} s after the cycle`);

    // steady cycles, a minute apart: before each, one more minute of data with another 1 % of the resources spiking
    const alarmTableMb = async (): Promise<number> =>
      Number((await store.sql.query<{ b: string | number }>("SELECT pg_total_relation_size('alarm') AS b"))[0].b) / 2 ** 20;
    const tableMb = [await alarmTableMb()];
    const steadyCycles: CycleFigures[] = [];
    for (let k = 1; k <= STEADY_CYCLES; k++) {
      await pushMeasures(url, projects, levels, T + (k - 1) * 60, 1, (_, i) => (i + k - 1) % 100 === 7);
      const c = await cycle(server, (T + k * 60) * 1e6, `${n}-steady${STEADY_CYCLES > 1 ? `-${k}` : ''}`);
      steadyCycles.push(c);
      const mem = process.memoryUsage();
      const mb = (b: number): string => (b / 2 ** 20).toFixed(0);
      const wasm = store.sql.embeddedMemory?.() ?? 0;
      const spaces = getHeapSpaceStatistics()
        .filter((sp) => sp.space_size >= 2 ** 20)
        .map((sp) => `${sp.space_name.replace(/_space$/, '')} ${mb(sp.space_used_size)}/${mb(sp.space_size)}`)
        .join(', ');
      log(`  steady cycle ${k}: ${(c.stats.durationMs / 1000).toFixed(2)} s, ${c.stats.reads} reads, ${c.stats.transitions} transitions; RSS ${mb(mem.rss)} MB (JS heap ${mb(mem.heapUsed)} used of ${mb(mem.heapTotal)}: ${spaces}; array buffers ${mb(mem.arrayBuffers)}, PGlite's WASM memory ${mb(wasm)} allocated, ${mb(residentOf((m) => m.path === '' && m.size === wasm))} resident)`);
    }
    if (args['heap-snapshot']) {
      mkdirSync(args['heap-snapshot'], { recursive: true });
      log(`  heap snapshot: ${writeHeapSnapshot(join(args['heap-snapshot'], `alarms-${n}.heapsnapshot`))}`);
    }
    tableMb.push(await alarmTableMb());
    const steady = steadyCycles[steadyCycles.length - 1];
    const rssMb = process.memoryUsage().rss / 2 ** 20;

    return {
      n, resources: resourceCount, distinctReads, resourceCreationsPerS, measures, measuresS,
      httpAlarms: viaHttp, httpCreationsPerS, bulkAlarms: n - viaHttp, bulkPerS,
      first, steady, notifications: first.stats.notifications, delivered, deliveredPerS, drainedAfterS, deliveryNote, stateLine, unknown,
      steadySeconds: steadyCycles.map((c) => c.stats.durationMs / 1000), tableMb,
      rssMb, peakRssMb: peakRss / 2 ** 20, totalS: (performance.now() - t0) / 1000,
    };
  } finally {
    await server.close();
  }
}

// ---- output ----------------------------------------------------------------

const int = (x: number): string => Math.round(x).toLocaleString('en-US');
const sec = (ms: number): string => (ms / 1000).toFixed(ms < 10_000 ? 2 : 1);
const pct = (part: number, whole: number): string => `${Math.round((100 * part) / whole)} %`;

function table(header: string[], rows: string[][]): void {
  const lines = [header, header.map(() => '---'), ...rows];
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  for (const l of lines) {
    const cells = l.map((c, i) => (c === '---' ? '-'.repeat(widths[i]) : i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])));
    process.stdout.write(`| ${cells.join(' | ')} |\n`);
  }
  process.stdout.write('\n');
}

function print(results: readonly Result[], notes: string[]): void {
  table(
    ['alarms', 'resources', 'distinct reads', 'reads done', 'first cycle s', 'steady cycle s', 'alarms/s (steady)', 'within 60 s?', 'CPU s (first / steady)', 'RSS MB (end / peak)'],
    results.map((r) => [
      int(r.n), int(r.resources), int(r.distinctReads), `${int(r.first.stats.reads)} / ${int(r.steady.stats.reads)}`,
      sec(r.first.stats.durationMs), sec(r.steady.stats.durationMs), int(r.n / (r.steady.stats.durationMs / 1000)),
      r.steady.stats.durationMs < 60_000 && r.steady.stats.failed === 0 ? 'yes' : 'no',
      `${r.first.cpuS.toFixed(1)} / ${r.steady.cpuS.toFixed(1)}`, `${int(r.rssMb)} / ${int(r.peakRssMb)}`,
    ]),
  );
  table(
    ['alarms', 'transitions (first / steady)', 'failed', 'notifications queued', 'delivered', 'delivered/s', 'outbox drained after cycle', 'alarm creations/s (HTTP)', 'bulk inserts/s', 'resources/s (HTTP)', 'measures (s to process)', 'setup + run s'],
    results.map((r) => [
      int(r.n), `${int(r.first.stats.transitions)} / ${int(r.steady.stats.transitions)}`, `${r.first.stats.failed} / ${r.steady.stats.failed}`,
      int(r.notifications), int(r.delivered), int(r.deliveredPerS), `${r.drainedAfterS.toFixed(1)} s`,
      `${int(r.httpCreationsPerS)} (${r.httpAlarms})`, `${int(r.bulkPerS)} (${int(r.bulkAlarms)})`, int(r.resourceCreationsPerS),
      `${int(r.measures)} (${r.measuresS.toFixed(1)})`, r.totalS.toFixed(0),
    ]),
  );
  for (const r of results) {
    const rows: string[][] = [];
    const ms = (b: Map<string, Phase>, name: string): number => b.get(name)?.ms ?? 0;
    const remainder = (b: Map<string, Phase>, of: string, minus: string[]): string => sec(Math.max(0, ms(b, of) - minus.reduce((t, m) => t + ms(b, m), 0)));
    for (const name of Object.values(PHASES)) {
      const f = r.first.breakdown.get(name);
      const s = r.steady.breakdown.get(name);
      rows.push([name, f ? sec(f.ms) : '-', f ? int(f.calls) : '-', s ? sec(s.ms) : '-', s ? int(s.calls) : '-']);
      if (name === PHASES.search) {
        const minus = [PHASES.resolve, PHASES.search];
        rows.push(['  of which: series reads and cross-metric aggregates (rest)', remainder(r.first.breakdown, PHASES.read, minus), '', remainder(r.steady.breakdown, PHASES.read, minus), '']);
      }
    }
    const outside = [PHASES.read, PHASES.writes];
    rows.push(['decisions, reasons, explanations (rest of the batches)', remainder(r.first.breakdown, PHASES.batch, outside), '', remainder(r.steady.breakdown, PHASES.batch, outside), '']);
    rows.push(['cycle (wall)', sec(r.first.stats.durationMs), '', sec(r.steady.stats.durationMs), '']);
    rows.push(['---', '---', '---', '---', '---']);
    const sqlTotal = (b: Map<string, Phase>): number => Object.values(SQL).reduce((t, k) => t + ms(b, k), 0);
    for (const name of Object.values(SQL)) {
      const f = r.first.breakdown.get(name);
      const s = r.steady.breakdown.get(name);
      if (f || s) rows.push([name, f ? sec(f.ms) : '-', f ? int(f.calls) : '-', s ? sec(s.ms) : '-', s ? int(s.calls) : '-']);
    }
    rows.push([`${SQL_PHASE}total (share of the cycle's wall time)`, `${sec(sqlTotal(r.first.breakdown))} (${pct(sqlTotal(r.first.breakdown), r.first.stats.durationMs)})`, '', `${sec(sqlTotal(r.steady.breakdown))} (${pct(sqlTotal(r.steady.breakdown), r.steady.stats.durationMs)})`, '']);
    process.stdout.write(`where the time goes, ${int(r.n)} alarms: evaluator phases (s summed over batches; 2 batches in flight, so they overlap and include waits for PGlite), then PGlite's own execution (WebAssembly, on this thread, exclusive: these add up; calls = statements or transactions):\n`);
    table(['phase', 'first s', 'calls', 'steady s', 'calls'], rows);
  }
  for (const r of results) {
    if (r.deliveryNote) notes.push(`${int(r.n)} alarms: ${r.deliveryNote}`);
    notes.push(`${int(r.n)} alarms, states after the first cycle: ${r.stateLine}`);
    notes.push(
      `${int(r.n)} alarms: steady cycle${r.steadySeconds.length > 1 ? 's' : ''} ${r.steadySeconds.map((x) => x.toFixed(2)).join(', ')} s; alarm table (with indexes) ${r.tableMb[0].toFixed(1)} MB after the first cycle, ${r.tableMb[1].toFixed(1)} MB after the last`,
    );
    for (const u of r.unknown) notes.push(`${int(r.n)} alarms: ${int(u.n)} ${u.type} stay 'insufficient data', e.g. ${u.reason}`);
  }
  notes.push(
    `workload: per 5-resource project 40 resource alarms (3 reads per resource), 5 by-metrics and 5 by-resources alarms (2 reads each); every 10th alarm has http alarm/ok actions; policy ${POLICY}; ${MINUTES} min of data 10 s apart, then 1 more minute with 1 % of resources at 100; alarms ${args.shuffle ? 'in random order' : 'created project by project'}`,
  );
  notes.push('reads done: CycleStats.reads (first / steady); reads are shared within a batch of 2,000 alarms only');
  for (const n of notes) process.stdout.write(`- ${n}\n`);
}

async function main(): Promise<void> {
  const receiver = await startReceiver();
  const results: Result[] = [];
  const notes: string[] = [];
  try {
    for (const n of SIZES) {
      try {
        results.push(await runSize(n, receiver));
      } catch (err) {
        log(`${n} alarms: failed: ${(err as Error).stack ?? String(err)}`);
        notes.push(`${int(n)} alarms: not measured: ${(err as Error).message}`);
      }
    }
  } finally {
    await receiver.close();
    agent.destroy();
  }
  print(results, notes);
}

await main();
