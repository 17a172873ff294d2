/**
 * The parameters of Prometheus's HTTP API as Prometheus 2.42 reads them: from
 * the URL and, for POST, from a form body (Grafana posts by default), with
 * its wording for what does not parse.
 */
import { BadDataError } from '../errors.js';
import { parseDuration } from '../literals.js';

/** Every value of every parameter, the URL's first, then the form body's (Go's Request.Form). */
export type Params = ReadonlyMap<string, readonly string[]>;

export function paramsOf(query: unknown, body: unknown): Params {
  const out = new Map<string, string[]>();
  const add = (k: string, v: string): void => {
    const list = out.get(k);
    if (list) list.push(v);
    else out.set(k, [v]);
  };
  for (const source of [query, body]) {
    if (source instanceof URLSearchParams) for (const [k, v] of source) add(k, v);
    else if (source !== null && typeof source === 'object') {
      for (const [k, v] of Object.entries(source)) for (const one of [v].flat()) if (typeof one === 'string') add(k, one);
    }
  }
  return out;
}

export const first = (params: Params, name: string): string => params.get(name)?.[0] ?? '';

/** "no start" and "no end" of the series and labels endpoints: the ends of JavaScript's dates */
export const MIN_TIME_MS = -8.64e15;
export const MAX_TIME_MS = 8.64e15;

/** A time given as Unix seconds (float) or RFC 3339, in milliseconds. */
export function parseTime(text: string): number | null {
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
    const s = Number(text);
    const whole = Math.trunc(s);
    return whole * 1000 + Math.round((s - whole) * 1000);
  }
  // RFC 3339 with an optional fraction (Go's time.RFC3339Nano)
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(text);
  if (m) {
    const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ? m[7].slice(0, 4) : ''}${m[8].toUpperCase()}`);
    if (!Number.isNaN(ms)) return ms;
  }
  return null;
}

export function timeParam(params: Params, name: string, dflt: number): number {
  const text = first(params, name);
  if (text === '') return dflt;
  const t = parseTime(text);
  if (t === null) throw new BadDataError(`invalid parameter "${name}": cannot parse "${text}" to a valid timestamp`);
  return t;
}

/** A duration as float seconds or Prometheus's `1h30m`, in milliseconds. */
export function durationParam(params: Params, name: string): number | null {
  const text = first(params, name);
  if (text === '') return null;
  const bad = new BadDataError(`invalid parameter "${name}": cannot parse "${text}" to a valid duration`);
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
    const s = Number(text);
    if (!Number.isFinite(s) || Math.abs(s * 1e9) >= 2 ** 63) throw bad;
    return s * 1000;
  }
  const d = parseDuration(text);
  if (d instanceof Error) throw bad;
  return d;
}
