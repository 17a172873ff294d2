/**
 * CloudKitty 17's reporting APIs over usage rated on demand (reports/):
 * `GET /v2/summary`, `GET /v2/dataframes`, `GET /v1/report/total`,
 * `/v1/report/summary`, `/v1/report/tenants` and `GET /v1/storage/dataframes`,
 * with CloudKitty's parameters, shapes and policies (admin, or the caller's
 * own project). Nothing is stored: every answer rates its span afresh, from
 * the resources, their history and the measures in the store.
 *
 * CSV: `Accept: text/csv`, or `response_format=csv` on /v2/summary and
 * `format=csv` on /v2/dataframes (rating/README.md).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { pythonFloat, pythonJson } from '../../tsdb/api/python-json.js';
import { pyRepr } from '../../tsdb/python-repr.js';
import type { Sql } from '../../tsdb/index/sql.js';
import { DEFAULT_METRICS_FILE, type MetricConfig, SCOPE_KEY, loadMetricsConfig } from '../config/metrics-config.js';
import { Decimal } from '../decimal.js';
import type { HashMapStore } from '../hashmap/hashmap-store.js';
import { expandLines, lineCount, pageOfLines } from '../reports/line-pages.js';
import { type RatedLine, type RatingSource, rateSpan } from '../reports/rater.js';
import { matches, summarize, totalCost } from '../reports/summary.js';
import type { UsageEngine } from '../usage/usage-reader.js';
import { csvTable } from './csv.js';

export interface ReportApiDeps {
  readonly sql: Sql;
  readonly engine: UsageEngine;
  readonly store: HashMapStore;
  /** default: tally's own metrics.yml (rating/config/metrics.yml) */
  readonly metrics?: readonly MetricConfig[];
  /** the rating period in seconds, what a price is for; default 3600 */
  readonly period?: number;
  /** where notes on the usage go (a metric read at another granularity than configured…) */
  readonly log?: (line: string) => void;
}

const US = 1_000_000;

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly v1: boolean,
  ) {
    super(message);
  }
}

/** The query string as lists of values, in order (repeated keys kept). */
function queryOf(request: FastifyRequest): Map<string, string[]> {
  const q = new Map<string, string[]>();
  const i = request.url.indexOf('?');
  if (i < 0) return q;
  for (const [k, v] of new URLSearchParams(request.url.slice(i + 1))) q.set(k, [...(q.get(k) ?? []), v]);
  return q;
}

/** ISO 8601, a naive one taken as UTC (CloudKitty's local zone on a server in UTC); µs. */
function timeParam(q: Map<string, string[]>, name: string, v1: boolean): number | null {
  const v = q.get(name)?.at(-1);
  if (v === undefined || v === '') return null;
  const naive = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/.test(v);
  const ms = Date.parse(naive ? `${v.length === 10 ? `${v}T00:00:00` : v}Z` : v);
  if (!Number.isFinite(ms)) {
    // v2 answers as its voluptuous schema does: the query as Python shows it, the check that failed, the key
    if (!v1) throw new ApiError(400, `Invalid data '${pyRepr(Object.fromEntries(q))}' : expected dt_from_iso (path: '['${name}']')`, false);
    throw new ApiError(400, `Invalid data: ${name} is not an ISO 8601 date: ${v}`, v1);
  }
  // CloudKitty drops the microseconds
  return Math.floor(ms / 1000) * US;
}

function monthBounds(now: number): [number, number] {
  const d = new Date(now);
  return [Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) * 1000, Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) * 1000];
}

function intParam(q: Map<string, string[]>, name: string, fallback: number, min: number): number {
  const v = q.get(name)?.at(-1);
  if (v === undefined) return fallback;
  const n = /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new ApiError(400, `Invalid data: ${name} must be an integer ≥ ${min}: ${v}`, false);
  return n;
}

/** A list parameter: repeated, or comma-separated, as CloudKitty reads it. */
const listParam = (q: Map<string, string[]>, name: string): string[] => (q.get(name) ?? []).flatMap((v) => v.split(',')).filter((v) => v !== '');

/** key:value pairs; `multi`: a key may come back with more values. */
function dictParam(q: Map<string, string[]>, name: string, multi: boolean): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const token of listParam(q, name)) {
    const parts = token.split(':');
    if (parts.length !== 2) throw new ApiError(400, `Invalid data: invalid key:value association ${token}`, false);
    const [k, v] = parts;
    if (out.has(k) && !multi) throw new ApiError(400, `Invalid data: key ${k} already provided`, false);
    out.set(k, [...(out.get(k) ?? []), v]);
  }
  return out;
}

/** isoformat() of an aware datetime in UTC, as CloudKitty's v2 answers carry them. */
const isoAware = (us: number): string => new Date(us / 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00');
/** isoformat() of a naive UTC datetime, as CloudKitty's v1 (WSME) answers carry them. */
const isoNaive = (us: number): string => new Date(us / 1000).toISOString().replace(/\.\d{3}Z$/, '');
/** A Decimal in JSON as CloudKitty's v2 encoder writes it: the float. */
const float = (d: Decimal): number => Number(d.toString());

/** routes that answer `Accept: text/csv` (the listener refuses other types with 406 unless a route says so) */
const CSV_TOO = { config: { produces: ['text/csv'] } };
const wantsCsv = (request: FastifyRequest): boolean => /\btext\/csv\b/i.test(request.headers.accept ?? '');

function sendJson(reply: FastifyReply, body: unknown, status = 200): FastifyReply {
  return reply.code(status).type('application/json').send(pythonJson(body));
}

function sendCsv(reply: FastifyReply, header: readonly string[], rows: readonly (readonly string[])[]): FastifyReply {
  return reply.code(200).type('text/csv; charset=utf-8').send(csvTable(header, rows));
}

export async function reportRoutes(app: FastifyInstance, deps: ReportApiDeps): Promise<void> {
  const metrics = deps.metrics ?? loadMetricsConfig(DEFAULT_METRICS_FILE);
  const log = deps.log ?? ((): void => undefined);
  const source: RatingSource = {
    sql: deps.sql,
    engine: deps.engine,
    metrics,
    period: deps.period ?? 3600,
    rules: async () => ((await deps.store.moduleState('hashmap'))?.enabled === false ? null : deps.store.rules()),
  };
  const logged = new Set<string>();
  const rate = async (begin: number, end: number, projectId: string | null, types: ReadonlySet<string> | null = null): Promise<RatedLine[]> => {
    if (end <= begin) return [];
    const { lines, notes } = await rateSpan(source, { begin, end, projectId }, types);
    for (const n of notes) {
      // once per process and note: a report asked every minute would repeat them
      if (logged.has(n)) continue;
      if (logged.size < 10_000) logged.add(n);
      log(`rating: ${n}`);
    }
    return lines;
  };

  app.setErrorHandler((err, _request, reply) => {
    if (err instanceof ApiError) {
      if (err.v1) return sendJson(reply, { faultcode: err.status < 500 ? 'Client' : 'Server', faultstring: err.message, debuginfo: null }, err.status);
      return sendJson(reply, { message: err.message }, err.status);
    }
    throw err;
  });

  const isAdmin = (r: FastifyRequest): boolean => r.caller?.isAdmin === true;
  const projectOf = (r: FastifyRequest): string | null => (r.caller?.projectId ? r.caller.projectId : null);
  /** CloudKitty's admin_or_owner rule for a target project (null: every project, admins only). */
  const authorize = (r: FastifyRequest, action: string, target: string | null, v1: boolean): void => {
    if (isAdmin(r)) return;
    if (target !== null && target === projectOf(r)) return;
    throw new ApiError(403, `Policy doesn't allow ${action} to be performed.`, v1);
  };

  // -- v2 -------------------------------------------------------------------------

  app.get('/v2/summary', CSV_TOO, async (request, reply) => {
    const q = queryOf(request);
    const format = q.get('response_format')?.at(-1) ?? 'table';
    if (!['table', 'object', 'csv'].includes(format)) throw new ApiError(400, `Invalid response format [${format}]. Valid format are [['table', 'object']].`, false);
    const custom = q.get('custom_fields')?.at(-1);
    if (custom !== undefined && custom.replace(/\s+/g, ' ').trim().toLowerCase() !== 'sum(qty) as qty, sum(price) as rate') {
      throw new ApiError(400, 'Invalid data: custom_fields other than "SUM(qty) AS qty, SUM(price) AS rate" are not supported', false);
    }
    const offset = intParam(q, 'offset', 0, 0);
    const limit = intParam(q, 'limit', 100, 1);
    const groupby = listParam(q, 'groupby');
    const filters = dictParam(q, 'filters', true);
    const [monthStart, nextMonth] = monthBounds(Date.now());
    const begin = timeParam(q, 'begin', false) ?? monthStart;
    const end = timeParam(q, 'end', false) ?? nextMonth;
    authorize(request, 'summary:get_summary', projectOf(request), false);
    let project: string | null = null;
    if (!isAdmin(request)) {
      project = projectOf(request);
      // an unscoped member sees nothing
      if (project === null) return sendJson(reply, { total: 0, columns: [], results: [] });
      filters.set(SCOPE_KEY, [project]);
    } else if (filters.get(SCOPE_KEY)?.length === 1) project = filters.get(SCOPE_KEY)![0];
    const types = filters.get('type');
    const lines = await rate(begin, end, project, types ? new Set(types) : null);
    const rows = summarize(lines, { begin, end, groupby, filters });
    const page = rows.slice(offset, offset + limit);
    const objects = page.map((r) => ({ begin: isoAware(r.begin), end: isoAware(r.end), qty: float(r.qty), rate: float(r.rate), ...Object.fromEntries(r.groups) }));
    if (format === 'csv' || wantsCsv(request)) {
      const keys = [...new Set(groupby.filter((g) => g !== 'time'))];
      return sendCsv(reply, ['begin', 'end', ...keys, 'qty', 'rate'], page.map((r) => [isoAware(r.begin), isoAware(r.end), ...r.groups.map(([, v]) => v), r.qty.toString(), r.rate.toString()]));
    }
    if (format === 'object') return sendJson(reply, { total: rows.length, results: objects, format });
    const columns = objects.length > 0 ? Object.keys(objects[0]) : [];
    return sendJson(reply, { total: rows.length, columns, results: objects.map((o) => Object.values(o)), format });
  });

  app.get('/v2/dataframes', CSV_TOO, async (request, reply) => {
    const q = queryOf(request);
    const offset = intParam(q, 'offset', 0, 0);
    const limit = intParam(q, 'limit', 100, 1);
    const filters = dictParam(q, 'filters', false);
    const [monthStart, nextMonth] = monthBounds(Date.now());
    const begin = timeParam(q, 'begin', false) ?? monthStart;
    const end = timeParam(q, 'end', false) ?? nextMonth;
    authorize(request, 'dataframes:get', projectOf(request), false);
    let project: string | null = filters.get(SCOPE_KEY)?.[0] ?? null;
    if (!isAdmin(request)) {
      project = projectOf(request);
      if (project === null) return sendJson(reply, { total: 0, dataframes: [] });
      filters.set(SCOPE_KEY, [project]);
    }
    const types = filters.get('type');
    filters.delete('type');
    const lines = (await rate(begin, end, project, types ? new Set(types) : null)).filter((l) => matches(l, filters));
    if (lines.length === 0) throw new ApiError(404, 'No resource found for provided filters.', false);
    const page = pageOfLines(lines, offset, limit);
    if (q.get('format')?.at(-1) === 'csv' || wantsCsv(request)) return sendCsv(reply, ...traceTable(page));
    return sendJson(reply, { total: lineCount(lines), dataframes: framesOf(page) });
  });

  // -- v1 -------------------------------------------------------------------------

  /** The project a v1 report is for: all_tenants, else tenant_id, else the caller's own. */
  const v1Tenant = (request: FastifyRequest, q: Map<string, string[]>): string | null => {
    if (/^(true|1|yes|on)$/i.test(q.get('all_tenants')?.at(-1) ?? '')) return null;
    return q.get('tenant_id')?.at(-1) || projectOf(request);
  };
  const v1Span = (q: Map<string, string[]>): [number, number] => {
    const [monthStart, nextMonth] = monthBounds(Date.now());
    return [timeParam(q, 'begin', true) ?? monthStart, timeParam(q, 'end', true) ?? nextMonth];
  };

  app.get('/v1/report/total', async (request, reply) => {
    const q = queryOf(request);
    const [begin, end] = v1Span(q);
    const tenant = v1Tenant(request, q);
    authorize(request, 'report:get_total', tenant, true);
    const service = q.get('service')?.at(-1);
    const lines = await rate(begin, end, tenant, service ? new Set([service]) : null);
    return sendJson(reply, totalCost(lines).toString());
  });

  app.get('/v1/report/summary', async (request, reply) => {
    const q = queryOf(request);
    const [begin, end] = v1Span(q);
    const tenant = v1Tenant(request, q);
    authorize(request, 'report:get_summary', tenant, true);
    const service = q.get('service')?.at(-1);
    const by = q.get('groupby')?.at(-1) ?? '';
    // CloudKitty looks for the words in the parameter, whatever separates them
    const groupby = [...(by.includes('tenant_id') ? [SCOPE_KEY] : []), ...(by.includes('res_type') ? ['type'] : [])];
    const lines = await rate(begin, end, tenant, service ? new Set([service]) : null);
    const rows = summarize(lines, { begin, end, groupby, filters: new Map() });
    const summary = rows.map((r) => {
      const g = new Map(r.groups);
      const rounded = Number(r.rate.toString()).toFixed(5);
      return { begin: isoNaive(r.begin), end: isoNaive(r.end), tenant_id: g.get(SCOPE_KEY) || 'ALL', res_type: g.get('type') || 'ALL', rate: r.rate.isZero() ? '0' : pythonFloat(Number(rounded)) };
    });
    return sendJson(reply, { summary });
  });

  app.get('/v1/report/tenants', async (request, reply) => {
    const q = queryOf(request);
    const [begin, end] = v1Span(q);
    if (!isAdmin(request)) throw new ApiError(403, "Policy doesn't allow report:list_tenants to be performed.", true);
    const lines = await rate(begin, end, null);
    return sendJson(reply, [...new Set(lines.map((l) => l.projectId))].filter((p) => p !== '').sort());
  });

  app.get('/v1/storage/dataframes', async (request, reply) => {
    const q = queryOf(request);
    const [begin, end] = v1Span(q);
    const asked = q.get('tenant_id')?.at(-1) || null;
    const project = asked ?? projectOf(request);
    authorize(request, 'storage:list_data_frames', project, true);
    const tenant = isAdmin(request) ? asked : project;
    if (!isAdmin(request) && tenant === null) return sendJson(reply, { dataframes: [] });
    const type = q.get('resource_type')?.at(-1);
    const lines = expandLines(await rate(begin, end, tenant, type ? new Set([type]) : null));
    // one frame per period and type, as CloudKitty lists a stored frame
    const frames = new Map<string, { begin: number; end: number; tenant: string; resources: Record<string, unknown>[] }>();
    for (const l of lines) {
      const key = `${l.begin} ${l.type}`;
      let f = frames.get(key);
      if (!f) frames.set(key, (f = { begin: l.begin, end: l.end, tenant: l.projectId || '__UNDEF__', resources: [] }));
      f.resources.push({ service: l.type, desc: { ...l.metadata, ...l.groupby }, volume: l.qty.toString(), rating: l.cost.toString() });
    }
    const dataframes = [...frames.values()].map((f) => ({ begin: isoNaive(f.begin), end: isoNaive(f.end), tenant_id: f.tenant, resources: f.resources }));
    return sendJson(reply, { dataframes });
  });
}

/** v2 dataframes: one per period, its points by type, quantities and prices as floats. */
function framesOf(lines: readonly RatedLine[]): unknown[] {
  const frames = new Map<number, { begin: number; end: number; usage: Map<string, unknown[]> }>();
  for (const l of lines) {
    let f = frames.get(l.begin);
    if (!f) frames.set(l.begin, (f = { begin: l.begin, end: l.end, usage: new Map() }));
    let points = f.usage.get(l.type);
    if (!points) f.usage.set(l.type, (points = []));
    points.push({ vol: { unit: l.unit, qty: float(l.qty) }, rating: { price: float(l.cost) }, groupby: l.groupby, metadata: l.metadata });
  }
  return [...frames.values()].sort((a, b) => a.begin - b.begin).map((f) => ({ period: { begin: isoAware(f.begin), end: isoAware(f.end) }, usage: Object.fromEntries(f.usage) }));
}

/** Every rated line with the numbers its cost comes from, for CSV. */
function traceTable(lines: readonly RatedLine[]): [string[], string[][]] {
  const groupKeys = [...new Set(lines.flatMap((l) => Object.keys(l.groupby)))].sort();
  const metaKeys = [...new Set(lines.flatMap((l) => Object.keys(l.metadata)))].sort();
  const header = ['begin', 'end', 'type', ...groupKeys, ...metaKeys, 'level', 'unit', 'seconds', 'qty', 'price', 'unit_price', 'cost'];
  const rows = lines.map((l) => [
    isoAware(l.begin), isoAware(l.end), l.type,
    ...groupKeys.map((k) => l.groupby[k] ?? ''), ...metaKeys.map((k) => l.metadata[k] ?? ''),
    l.level.toString(), l.unit, l.seconds.toString(), l.qty.toString(), l.price.toString(), l.unitPrice.toString(), l.cost.toString(),
  ]);
  return [header, rows];
}
