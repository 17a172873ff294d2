/**
 * What Grafana's Prometheus data source sends for a dashboard (Grafana 10
 * and 11): template variables replaced (a multi-value one as `(a|b)` with
 * regex escapes), `$__interval`, `$__rate_interval` and `$__range` worked out
 * from the time range, the panel's resolution and the data source's scrape
 * interval, range queries as a POST form with a step-aligned start and end,
 * instant ones at the range's end, and `label_values(...)` through the label
 * values endpoint with match[] (Prometheus ≥ 2.24) or through /api/v1/series.
 */

/** The data source's settings the requests depend on. */
export interface DataSource {
  readonly url: string;
  /** jsonData.timeInterval, e.g. `5m` */
  readonly scrapeInterval: string;
}

/** A variable's chosen values: several are matched as a regex alternation. */
export type VariableValues = ReadonlyMap<string, readonly string[]>;

export interface PromAnswer {
  readonly status: number;
  readonly body: { status: string; data?: unknown; error?: string };
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

export function durationMs(text: string): number {
  let total = 0;
  const re = /(\d+)(ms|[smhdwy])/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) total += Number(m[1]) * UNITS[m[2]];
  if (total === 0) throw new Error(`not a duration: ${text}`);
  return total;
}

/** Grafana's `now-6h` … `now` */
export function timeOf(expr: string, now: number): number {
  if (expr === 'now') return now;
  const m = /^now-(.+)$/.exec(expr);
  if (!m) throw new Error(`unsupported time: ${expr}`);
  return now - durationMs(m[1]);
}

/** Grafana's rangeutil.roundInterval: the "nice" interval nearest above range / resolution */
function roundInterval(ms: number): number {
  const steps: [number, number][] = [
    [15, 10], [35, 20], [75, 50], [150, 100], [350, 200], [750, 500], [1500, 1000], [3500, 2000], [7500, 5000], [12500, 10_000],
    [17500, 15_000], [25000, 20_000], [45000, 30_000], [90000, 60_000], [210000, 120_000], [450000, 300_000], [750000, 600_000],
    [1050000, 900_000], [1500000, 1_200_000], [2700000, 1_800_000], [5400000, 3_600_000], [9000000, 7_200_000], [16200000, 10_800_000],
    [24300000, 21_600_000], [43200000, 43_200_000], [86400000, 86_400_000],
  ];
  for (const [limit, value] of steps) if (ms <= limit) return value;
  return 604_800_000;
}

/** Go's time.Duration.String() for whole seconds, which Grafana writes $__rate_interval with */
function goDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}h${m}m${sec}s` : m > 0 ? `${m}m${sec}s` : `${sec}s`;
}

/** Grafana's gtime.FormatInterval */
function formatInterval(ms: number): string {
  for (const [unit, size] of [['y', UNITS.y], ['w', UNITS.w], ['d', UNITS.d], ['h', UNITS.h], ['m', UNITS.m], ['s', UNITS.s]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** Grafana's prometheusSpecialRegexEscape, for a value inside `=~"…"` */
const regexEscape = (v: string): string => v.replace(/\\/g, '\\\\\\\\').replace(/[$^*{}[\]'+?.()|]/g, '\\\\$&');

/** Template variables as Grafana's Prometheus data source writes them into a query; a `$name` of no variable stays. */
export function interpolate(expr: string, values: VariableValues): string {
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? '';
    if (name.startsWith('__')) return whole; // the server-side ones, below
    const v = values.get(name);
    // as Grafana: what names no variable (label_replace's `$1`) stays as it is
    if (v === undefined) return whole;
    return v.length === 1 ? regexEscape(v[0]) : `(${v.map(regexEscape).join('|')})`;
  });
}

export interface Timing {
  readonly startMs: number;
  readonly endMs: number;
  readonly stepMs: number;
  /** the expression with $__interval, $__rate_interval and $__range replaced */
  readonly expr: string;
}

/** The step and the interval variables of one panel query (Grafana's backend, pkg/tsdb/prometheus/models/query.go). */
export function timing(expr: string, fromMs: number, toMs: number, ds: DataSource, opts: { maxDataPoints?: number; minInterval?: string } = {}): Timing {
  const scrapeMs = durationMs(opts.minInterval ?? ds.scrapeInterval);
  const rangeMs = toMs - fromMs;
  const intervalMs = Math.max(roundInterval(rangeMs / (opts.maxDataPoints ?? 1000)), scrapeMs);
  const stepMs = Math.max(intervalMs, Math.ceil(rangeMs / 11_000 / 1000) * 1000);
  const rateMs = Math.max(intervalMs + scrapeMs, 4 * scrapeMs);
  const rangeS = Math.round(rangeMs / 1000);
  const out = expr
    .replaceAll('$__interval_ms', String(stepMs))
    .replaceAll('$__interval', formatInterval(stepMs))
    .replaceAll('$__range_ms', String(rangeMs))
    .replaceAll('$__range_s', String(rangeS))
    .replaceAll('$__range', `${rangeS}s`)
    .replaceAll('$__rate_interval_ms', String(rateMs))
    .replaceAll('$__rate_interval', goDuration(rateMs));
  const align = (t: number): number => Math.floor(t / stepMs) * stepMs;
  return { startMs: align(fromMs), endMs: align(toMs), stepMs, expr: out };
}

async function send(ds: DataSource, method: 'GET' | 'POST', path: string, params: [string, string][]): Promise<PromAnswer> {
  const form = new URLSearchParams(params).toString();
  const res =
    method === 'POST'
      ? await fetch(`${ds.url}${path}`, { method, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form })
      : await fetch(`${ds.url}${path}?${form}`);
  return { status: res.status, body: (await res.json()) as PromAnswer['body'] };
}

export const rangeQuery = (ds: DataSource, t: Timing): Promise<PromAnswer> =>
  send(ds, 'POST', '/api/v1/query_range', [
    ['query', t.expr],
    ['start', String(t.startMs / 1000)],
    ['end', String(t.endMs / 1000)],
    ['step', String(t.stepMs / 1000)],
  ]);

export const instantQuery = (ds: DataSource, expr: string, atMs: number): Promise<PromAnswer> => send(ds, 'POST', '/api/v1/query', [['query', expr], ['time', String(atMs / 1000)]]);

/** `label_values(selector, label)` or `label_values(label)` */
export function parseLabelValues(query: string): { selector: string | null; label: string } {
  const m = /^\s*label_values\((?:(.+),\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\)\s*$/.exec(query);
  if (!m) throw new Error(`not a label_values query: ${query}`);
  return { selector: m[1] ?? null, label: m[2] };
}

/** A label_values variable's values, both ways Grafana asks for them: they must agree. */
export async function labelValues(ds: DataSource, query: string, fromMs: number, toMs: number): Promise<{ viaLabelValues: PromAnswer; viaSeries: PromAnswer | null; values: string[] }> {
  const { selector, label } = parseLabelValues(query);
  const window: [string, string][] = [['start', String(Math.floor(fromMs / 1000))], ['end', String(Math.floor(toMs / 1000))]];
  const match: [string, string][] = selector === null ? [] : [['match[]', selector]];
  const viaLabelValues = await send(ds, 'GET', `/api/v1/label/${label}/values`, [...match, ...window]);
  const values = Array.isArray(viaLabelValues.body.data) ? (viaLabelValues.body.data as string[]) : [];
  const viaSeries = selector === null ? null : await send(ds, 'POST', '/api/v1/series', [...match, ...window]);
  return { viaLabelValues, viaSeries, values };
}

/** A variable's `regex`: the first capture of each value that matches, each once (Grafana's metricNamesToVariableValues). */
export function applyVariableRegex(values: readonly string[], regex: string | undefined): string[] {
  if (!regex) return [...values];
  const m = /^\/(.*)\/([gimsuy]*)$/.exec(regex);
  const re = m ? new RegExp(m[1], m[2]) : new RegExp(regex);
  const out = new Set<string>();
  for (const v of values) {
    const found = re.exec(v);
    if (found) out.add(found[1] ?? found[0]);
  }
  return [...out].sort();
}
