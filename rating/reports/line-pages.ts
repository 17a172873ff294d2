/**
 * Rated lines as the listings show them: one line per period, sorted by
 * period, project, type and resource. A month of a large cloud is tens of
 * millions of lines; a page of them is found without making the others.
 */
import type { RatedLine } from './rater.js';

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const byLine = (a: RatedLine, b: RatedLine): number => a.begin - b.begin || cmp(a.projectId, b.projectId) || cmp(a.type, b.type) || cmp(a.resourceId, b.resourceId);

/** The line of `l` for its k-th period. */
const nth = (l: RatedLine, k: number): RatedLine => (l.periods === 1 ? l : { ...l, begin: l.begin + k * (l.end - l.begin), end: l.end + k * (l.end - l.begin), periods: 1 });

/** Every line, one per period, in listing order. */
export function expandLines(lines: readonly RatedLine[]): RatedLine[] {
  const out: RatedLine[] = [];
  for (const l of lines) for (let k = 0; k < l.periods; k++) out.push(nth(l, k));
  // stable: lines of one resource in one period keep the order they were rated in
  return out.sort(byLine);
}

/** How many lines there are, one per period. */
export function lineCount(lines: readonly RatedLine[]): number {
  let n = 0;
  for (const l of lines) n += l.periods;
  return n;
}

/** Lines [offset, offset + limit) of the listing, made alone. */
export function pageOfLines(lines: readonly RatedLine[], offset: number, limit: number): RatedLine[] {
  if (lines.length === 0) return [];
  const width = lines[0].end - lines[0].begin;
  // lines per period, from a difference array over the periods spanned
  let first = Infinity;
  let last = -Infinity;
  for (const l of lines) {
    if (l.begin < first) first = l.begin;
    if (l.begin + l.periods * width > last) last = l.begin + l.periods * width;
  }
  const count = Math.round((last - first) / width);
  const perPeriod = new Float64Array(count + 1);
  for (const l of lines) {
    const k = Math.round((l.begin - first) / width);
    perPeriod[k]++;
    perPeriod[k + l.periods]--;
  }
  // the runs, once, in (project, type, resource) order; the stable sort keeps rating order among equals
  const sorted = [...lines].sort((a, b) => cmp(a.projectId, b.projectId) || cmp(a.type, b.type) || cmp(a.resourceId, b.resourceId));
  const out: RatedLine[] = [];
  let before = 0;
  let active = 0;
  for (let p = 0; p < count && out.length < limit; p++) {
    active += perPeriod[p];
    if (before + active <= offset) {
      before += active;
      continue;
    }
    const begin = first + p * width;
    const at: RatedLine[] = [];
    for (const l of sorted) if (l.begin <= begin && begin < l.begin + l.periods * width) at.push(nth(l, Math.round((begin - l.begin) / width)));
    for (const l of at) {
      if (before++ < offset) continue;
      out.push(l);
      if (out.length === limit) break;
    }
  }
  return out;
}
