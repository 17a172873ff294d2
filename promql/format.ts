/**
 * Query results as Prometheus's HTTP API writes them in `data`:
 * resultType and result, values as strings in Go's float format
 * (vector and matrix points switch to exponent form below 1e-6 and from
 * 1e21 on, a scalar never does), timestamps as seconds with up to three
 * decimals.
 */
import { formatFloatF, formatSampleValue } from './go-float.js';
import type { QueryResult } from './query.js';
import type { Labels } from './series-source.js';

export type JsonPoint = [number, string];

export type ResultData =
  | { resultType: 'vector'; result: { metric: Record<string, string>; value: JsonPoint }[] }
  | { resultType: 'matrix'; result: { metric: Record<string, string>; values: JsonPoint[] }[] }
  | { resultType: 'scalar'; result: JsonPoint }
  | { resultType: 'string'; result: JsonPoint };

function metric(labels: Labels): Record<string, string> {
  const m: Record<string, string> = {};
  for (const [n, v] of labels) m[n] = v;
  return m;
}

const seconds = (ms: number): number => ms / 1000;

/** The `data` object of a successful query response. */
export function formatResult(r: QueryResult): ResultData {
  switch (r.resultType) {
    case 'vector':
      return { resultType: 'vector', result: r.result.map((s) => ({ metric: metric(s.metric), value: [seconds(s.timestampMs), formatSampleValue(s.value)] })) };
    case 'matrix':
      return {
        resultType: 'matrix',
        result: r.result.map((s) => ({ metric: metric(s.metric), values: Array.from(s.timestampsMs, (t, i) => [seconds(t), formatSampleValue(s.values[i])] as JsonPoint) })),
      };
    case 'scalar':
      // a scalar result is written by another path of Prometheus's encoder: never an exponent
      return { resultType: 'scalar', result: [seconds(r.timestampMs), formatFloatF(r.value)] };
    case 'string':
      return { resultType: 'string', result: [seconds(r.timestampMs), r.value] };
  }
}

/** A timestamp the way Prometheus writes it: integer seconds, then `.` and three digits when there are milliseconds. */
function timestampText(ms: number): string {
  const neg = ms < 0;
  const a = Math.abs(ms);
  const sec = Math.trunc(a / 1000);
  const frac = a % 1000;
  return `${neg ? '-' : ''}${sec}${frac !== 0 ? '.' + String(frac).padStart(3, '0') : ''}`;
}

/** A JSON string as Go's encoder writes it: <, > and & escaped too. */
function goJSONString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function pointText(ms: number, v: string): string {
  return `[${timestampText(ms)},${goJSONString(v)}]`;
}

function metricText(labels: Labels): string {
  return `{${labels.map(([n, v]) => `${goJSONString(n)}:${goJSONString(v)}`).join(',')}}`;
}

/** The `data` object as the exact JSON text Prometheus writes (its timestamps keep trailing zeros, e.g. `1.500`). */
export function formatResultJSON(r: QueryResult): string {
  switch (r.resultType) {
    case 'vector':
      return `{"resultType":"vector","result":[${r.result.map((s) => `{"metric":${metricText(s.metric)},"value":${pointText(s.timestampMs, formatSampleValue(s.value))}}`).join(',')}]}`;
    case 'matrix':
      return `{"resultType":"matrix","result":[${r.result
        .map((s) => `{"metric":${metricText(s.metric)},"values":[${Array.from(s.timestampsMs, (t, i) => pointText(t, formatSampleValue(s.values[i]))).join(',')}]}`)
        .join(',')}]}`;
    case 'scalar':
      return `{"resultType":"scalar","result":${pointText(r.timestampMs, formatFloatF(r.value))}}`;
    case 'string':
      return `{"resultType":"string","result":${pointText(r.timestampMs, r.value)}}`;
  }
}
