/**
 * Sends the same request to tally and to the real Gnocchi and compares the
 * answers. Ids differ by nature: each side's metric ids are written {m0},
 * {m1}, … (in order of creation) in paths and bodies, and mapped back in answers.
 */
import assert from 'node:assert/strict';
import { ADMIN_AUTH } from '../helpers/real-gnocchi.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface Side {
  readonly url: string;
  /** metric ids in order of creation: ids[k] is {mk} */
  readonly ids: string[];
}

export interface Answer {
  status: number;
  text: string;
  body: Json;
}

const fill = (side: Side, text: string): string => text.replace(/\{m(\d+)\}/g, (_, k: string) => side.ids[Number(k)] ?? `{m${k}}`);
const unfill = (side: Side, text: string): string => side.ids.reduce((s, id, k) => s.split(id).join(`{m${k}}`), text);

const refId = (v: Json): string => (v && typeof v === 'object' && !Array.isArray(v) && typeof v.id === 'string' ? v.id : '');

/** Ids back to {mk}; numbers to 12 significant digits (numpy and JS may differ in the last ulp); sets sorted. */
export function normalize(side: Side, v: Json, key = ''): Json {
  // when a resource revision was written: the moment of the request, on either side
  if (typeof v === 'string' && (key === 'revision_start' || key === 'revision_end')) return '(time of the request)';
  if (typeof v === 'string') return unfill(side, v);
  if (typeof v === 'number') return Number(v.toPrecision(12));
  if (Array.isArray(v)) {
    const items = v.map((x) => normalize(side, x));
    // a set in Gnocchi (its order follows Python's string hashing, random per process)
    if (key === 'aggregation_methods') return items.sort();
    // sorted by metric id, which is random: compare in the order of creation
    if (key === 'references') return items.sort((x, y) => refId(x).localeCompare(refId(y)));
    return items;
  }
  if (v === null || typeof v === 'boolean') return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [unfill(side, k), normalize(side, x, k)]));
}

export async function call(side: Side, method: string, path: string, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = { authorization: ADMIN_AUTH, accept: 'application/json' };
  let payload: string | undefined;
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = fill(side, typeof body === 'string' ? body : JSON.stringify(body));
  }
  // a Gnocchi 500 that fails to render leaves uWSGI's connection open for 60 s
  const r = await fetch(`${side.url}${fill(side, path)}`, { method, headers, body: payload, signal: AbortSignal.timeout(20_000) });
  const text = await r.text();
  let parsed: Json;
  try {
    parsed = text === '' ? null : (JSON.parse(text) as Json);
  } catch {
    parsed = `(not JSON) ${text.slice(0, 500)}`; // e.g. Python's NaN
  }
  return { status: r.status, text, body: parsed };
}

/** Python's order of a set is random per process: sort aggregation_methods in the text too. */
const sortMethods = (text: string): string =>
  text.replace(/"aggregation_methods": \[([^\]]*)\]/g, (_, list: string) => `"aggregation_methods": [${list.split(', ').sort().join(', ')}]`);
/** Long fractions to 12 significant digits: the last ulp may differ (numpy's power vs JS's **). */
const roundLong = (text: string): string => text.replace(/-?\d+\.\d{8,}(?:e[+-]?\d+)?/g, (m) => String(Number(Number(m).toPrecision(12))));
/** Python's json writes a float as 60.0 where JS writes 60. */
const intSpelling = (text: string): string => text.replace(/(?<=[[ ])(-?\d+)\.0(?=[,\]}])/g, '$1');

/** Where two texts first differ, with some context. */
function textDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  const from = Math.max(0, i - 40);
  return `tally …${a.slice(from, i + 30)}… / Gnocchi …${b.slice(from, i + 30)}…`;
}

export interface SameOptions {
  /** Gnocchi's status, checked first: the workload itself is wrong if Gnocchi answers otherwise */
  expect?: number;
  /** top-level keys left out of the comparison (the id of a metric created on the side) */
  drop?: string[];
}

/** Collects differences instead of stopping at the first, so one does not hide the next. */
export class Differ {
  /** answers whose JSON differs, since the last take() */
  private mismatches: string[] = [];
  /** same JSON, other text: floats written 60 where Python writes 60.0 */
  readonly floatSpelling: string[] = [];
  /** same JSON, other text otherwise (key order, …) */
  readonly otherText: string[] = [];

  constructor(
    readonly tally: Side,
    readonly gnocchi: Side,
  ) {}

  async same(method: string, path: string, body?: unknown, options: SameOptions = {}): Promise<[Answer, Answer]> {
    const [a, b] = await Promise.all([call(this.tally, method, path, body), call(this.gnocchi, method, path, body)]);
    const label = `${method} ${path}${body === undefined ? '' : ` ${JSON.stringify(body).slice(0, 120)}`}`;
    if (options.expect !== undefined) assert.equal(b.status, options.expect, `${label}: Gnocchi itself answered ${b.status}: ${b.text.slice(0, 500)}`);
    const strip = (v: Json): Json => (options.drop && v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).filter(([k]) => !options.drop!.includes(k))) : v);
    try {
      assert.deepEqual({ status: a.status, body: strip(normalize(this.tally, a.body)) }, { status: b.status, body: strip(normalize(this.gnocchi, b.body)) }, label);
    } catch (e) {
      if (!(e instanceof assert.AssertionError)) throw e;
      this.mismatches.push(e.message);
      return [a, b];
    }
    // (references follow the random ids: their order is only compared after sorting)
    const hasReferences = b.body !== null && typeof b.body === 'object' && !Array.isArray(b.body) && 'references' in b.body;
    if (!options.drop && !hasReferences) {
      const [ta, tb] = [a, b].map((x, i) => maskRevisionTimes(roundLong(sortMethods(unfill(i ? this.gnocchi : this.tally, x.text)))));
      if (ta !== tb) (intSpelling(ta) === intSpelling(tb) ? this.floatSpelling : this.otherText).push(`${method} ${path}: ${textDifference(ta, tb)}`);
    }
    return [a, b];
  }

  /** Records a difference found by the caller's own assertion. */
  check(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (!(e instanceof assert.AssertionError)) throw e;
      this.mismatches.push(e.message);
    }
  }

  /** The differences since the last call, and starts afresh. */
  take(): string[] {
    const out = this.mismatches;
    this.mismatches = [];
    return out;
  }
}

/** Revision times are the moment of each side's request (see normalize). */
function maskRevisionTimes(text: string): string {
  return text.replace(/"(revision_start|revision_end)": "[^"]*"/g, '"$1": "(time of the request)"');
}
