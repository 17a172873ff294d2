/**
 * Runs the differential suite (queries.ts) against the real Prometheus 2.42
 * and against one of tally's ways of answering (the engine on an in-memory
 * source, or tally's HTTP API on its store): every query as instant queries
 * at several times (on and off the sample grid, after the data's end within
 * and beyond the lookback window) and as range queries (one with a step that
 * does not divide the range), comparing result types, label sets and
 * values; error queries must fail with the same errorType.
 */
import type { ResultData } from '../../promql/format.js';
import { T0 } from './dataset.js';
import type { ApiAnswer, Oracle } from './prometheus-oracle.js';
import { type DiffQuery, QUERIES } from './queries.js';

/** instant evaluation times (seconds): on the grid, off it, the last sample, 4 and 6 minutes after it */
export const INSTANTS = [T0 + 1800, T0 + 3667, T0 + 7200, T0 + 7440, T0 + 7560];
/** range queries: the whole data at 1 m, an uneven one (97 s does not divide 6347 s), and steps finer than the samples */
export const RANGES: readonly [number, number, number][] = [
  [T0, T0 + 7200, 60],
  [T0 + 433, T0 + 6780, 97],
  [T0 + 2990, T0 + 3610, 10],
];

export type Outcome = { ok: true; data: ResultData | { resultType: string; result: unknown } } | { ok: false; errorType: string; error: string };

export function fromApi(a: ApiAnswer): Outcome {
  return a.status === 'success' ? { ok: true, data: a.data } : { ok: false, errorType: a.errorType, error: a.error };
}

function num(s: unknown): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  return Number(s);
}

/** Exact queries must print the very same value text (Go's float formatting included); approx ones may differ in the last bits. */
function sameValue(a: unknown, b: unknown, approx: boolean): boolean {
  if (a === b) return true;
  if (!approx) return false;
  const x = num(a);
  const y = num(b);
  if (Number.isNaN(x) && Number.isNaN(y)) return true;
  if (x === y) return true;
  // tolerance only where queries.ts says the last bits may differ
  return approx && Number.isFinite(x) && Number.isFinite(y) && Math.abs(x - y) <= 1e-12 * Math.max(Math.abs(x), Math.abs(y));
}

type Sample = { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] };

function metricKey(m: Record<string, string>): string {
  return JSON.stringify(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Why two outcomes differ, or null when they agree. */
function difference(mine: Outcome, theirs: Outcome, dq: DiffQuery, instant: boolean): string | null {
  if (!mine.ok || !theirs.ok) {
    if (mine.ok !== theirs.ok) return 'one failed, the other did not';
    if (!mine.ok && !theirs.ok && mine.errorType !== theirs.errorType) return `errorType ${mine.errorType} vs ${theirs.errorType}`;
    return null;
  }
  const a = mine.data;
  const b = theirs.data;
  if (a.resultType !== b.resultType) return `resultType ${a.resultType} vs ${b.resultType}`;
  if (a.resultType === 'scalar' || a.resultType === 'string') {
    const [ta, va] = a.result as [number, string];
    const [tb, vb] = b.result as [number, string];
    if (ta !== tb) return `time ${ta} vs ${tb}`;
    return (a.resultType === 'string' ? va === vb : sameValue(va, vb, dq.approx === true)) ? null : `value ${va} vs ${vb}`;
  }
  const ra = a.result as Sample[];
  const rb = b.result as Sample[];
  if (ra.length !== rb.length) return `${ra.length} vs ${rb.length} series`;
  if (dq.ordered === true && instant) {
    for (let i = 0; i < ra.length; i++) if (!sameValue(ra[i].value?.[1], rb[i].value?.[1], false)) return `order differs at ${i}`;
  }
  const byKey = new Map(rb.map((s) => [metricKey(s.metric), s]));
  for (const s of ra) {
    const k = metricKey(s.metric);
    const o = byKey.get(k);
    if (o === undefined) return `series ${k} only in ours`;
    const pa = s.value !== undefined ? [s.value] : (s.values ?? []);
    const pb = o.value !== undefined ? [o.value] : (o.values ?? []);
    if (pa.length !== pb.length) return `series ${k}: ${pa.length} vs ${pb.length} points`;
    for (let i = 0; i < pa.length; i++) {
      if (pa[i][0] !== pb[i][0]) return `series ${k}: time ${pa[i][0]} vs ${pb[i][0]}`;
      if (!sameValue(pa[i][1], pb[i][1], dq.approx === true)) return `series ${k} at ${pa[i][0]}: ${pa[i][1]} vs ${pb[i][1]}`;
    }
  }
  return null;
}

const clip = (o: Outcome): string => {
  const s = JSON.stringify(o);
  return s.length > 1500 ? `${s.slice(0, 1500)}…` : s;
};

/** What answers for tally: an instant and a range query (times in seconds). */
export interface Answerer {
  instant(query: string, timeS: number): Promise<Outcome>;
  range(query: string, startS: number, endS: number, stepS: number): Promise<Outcome>;
}

/** Every query on both sides; the count that agree, and what differs for the others. */
export async function compareAll(oracle: Oracle, tally: Answerer, queries: readonly DiffQuery[] = QUERIES): Promise<{ agreed: number; failures: string[] }> {
  const failures: string[] = [];
  let agreed = 0;
  for (const dq of queries) {
    const problems: string[] = [];
    for (const t of INSTANTS) {
      const [mine, theirs] = await Promise.all([tally.instant(dq.q, t), oracle.instant(dq.q, t).then(fromApi)]);
      const d = difference(mine, theirs, dq, true);
      if (d !== null) problems.push(`instant @${t - T0}s: ${d}\n    ours:       ${clip(mine)}\n    Prometheus: ${clip(theirs)}`);
    }
    for (const [s, e, step] of RANGES) {
      const [mine, theirs] = await Promise.all([tally.range(dq.q, s, e, step), oracle.range(dq.q, s, e, step).then(fromApi)]);
      const d = difference(mine, theirs, dq, false);
      if (d !== null) problems.push(`range ${s - T0}..${e - T0} step ${step}: ${d}\n    ours:       ${clip(mine)}\n    Prometheus: ${clip(theirs)}`);
    }
    if (problems.length === 0) agreed++;
    else failures.push(`${dq.q}\n  ${problems.slice(0, 2).join('\n  ')}`);
  }
  return { agreed, failures };
}
