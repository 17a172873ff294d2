/**
 * Rated lines grouped and summed, as CloudKitty 17's v2 storage totals them
 * for `/v2/summary` and the v1 reports: a filter on any groupby or metadata
 * key (a key given several values matches any of them), `type` the rated
 * type, `time` one row per rating period; each row is begin, end, qty, rate
 * and the groupby keys' values, rows sorted by those values. Sums are exact,
 * rounded once to 28 digits (exact-sum.ts); a line of several periods counts
 * once per period.
 */
import { Decimal } from '../decimal.js';
import { ExactSum } from './exact-sum.js';
import type { RatedLine } from './rater.js';

export interface SummaryQuery {
  /** µs */
  readonly begin: number;
  readonly end: number;
  readonly groupby: readonly string[];
  /** key → accepted values */
  readonly filters: ReadonlyMap<string, readonly string[]>;
}

export interface SummaryRow {
  /** µs */
  readonly begin: number;
  readonly end: number;
  readonly qty: Decimal;
  readonly rate: Decimal;
  /** the groupby keys (but time) and their values, in the order asked */
  readonly groups: readonly (readonly [string, string])[];
}

/** A line's value for a key: its type, then its groupby, then its metadata ('' when it has none). */
export function lineValue(line: RatedLine, key: string): string {
  if (key === 'type') return line.type;
  return line.groupby[key] ?? line.metadata[key] ?? '';
}

export function matches(line: RatedLine, filters: ReadonlyMap<string, readonly string[]>): boolean {
  for (const [key, accepted] of filters) if (!accepted.includes(lineValue(line, key))) return false;
  return true;
}

export function summarize(lines: readonly RatedLine[], q: SummaryQuery): SummaryRow[] {
  const byTime = q.groupby.includes('time');
  const keys = [...new Set(q.groupby.filter((g) => g !== 'time'))];
  const rows = new Map<string, { begin: number; end: number; qty: ExactSum; rate: ExactSum; groups: [string, string][] }>();
  const add = (line: RatedLine, begin: number, end: number, times: number): void => {
    const groups = keys.map((k) => [k, lineValue(line, k)] as [string, string]);
    const key = JSON.stringify([byTime ? begin : 0, groups]);
    let row = rows.get(key);
    if (!row) rows.set(key, (row = { begin: byTime ? begin : q.begin, end: byTime ? end : q.end, qty: new ExactSum(), rate: new ExactSum(), groups }));
    row.qty.add(line.qty, times);
    row.rate.add(line.cost, times);
  };
  for (const line of lines) {
    if (!matches(line, q.filters)) continue;
    if (!byTime) add(line, line.begin, line.end, line.periods);
    else for (let k = 0, width = line.end - line.begin; k < line.periods; k++) add(line, line.begin + k * width, line.end + k * width, 1);
  }
  const out: SummaryRow[] = [...rows.values()].map((r) => ({ begin: r.begin, end: r.end, qty: r.qty.value()!, rate: r.rate.value()!, groups: r.groups }));
  out.sort((a, b) => {
    for (let i = 0; i < a.groups.length; i++) {
      const c = a.groups[i][1] < b.groups[i][1] ? -1 : a.groups[i][1] > b.groups[i][1] ? 1 : 0;
      if (c !== 0) return c;
    }
    return a.begin - b.begin;
  });
  return out;
}

/** The sum of the lines' costs (0 with none). */
export function totalCost(lines: readonly RatedLine[]): Decimal {
  const sum = new ExactSum(Decimal.int(0));
  for (const l of lines) sum.add(l.cost, l.periods);
  return sum.value()!;
}
