/**
 * The operations language of Gnocchi's /v1/aggregates, evaluated over a grid
 * of values (rows: timestamps, columns: series). Each node is a JSON list:
 * ["metric", ...], ["aggregate", agg, node], ["rolling", agg, window, node],
 * ["resample", agg, granularity, node], arithmetic, comparison and unary
 * functions. Reductions ignore NaN like numpy's nan* functions.
 */
import { parseMethod } from './archive-policy.js';
import { aggregateInto } from './aggregate.js';
import { UnaggregableSeriesError, InvalidInputError } from './errors.js';
import { emptySeries } from './series.js';
import type { Micros } from './time.js';

/** Values laid out row-major: data[row * cols + col]. */
export interface Grid {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

export type OperationNode = number | string | OperationNode[];

export interface Evaluated {
  granularity: Micros;
  times: Float64Array;
  values: Grid | number;
  isAggregated: boolean;
}

/** A series' identity in an operations tree: [metric name or id, method]. */
export type LookupKey = readonly [string, string];

type Reducer = (v: Float64Array, from: number, count: number, stride: number) => number;

function collect(v: Float64Array, from: number, count: number, stride: number, out: number[]): void {
  out.length = 0;
  for (let k = 0; k < count; k++) {
    const x = v[from + k * stride];
    if (!Number.isNaN(x)) out.push(x);
  }
}
const tmp: number[] = [];

const REDUCERS: Record<string, Reducer> = {
  mean(v, f, n, s) { collect(v, f, n, s, tmp); if (tmp.length === 0) return NaN; let a = 0; for (const x of tmp) a += x; return a / tmp.length; },
  sum(v, f, n, s) { collect(v, f, n, s, tmp); let a = 0; for (const x of tmp) a += x; return a; },
  min(v, f, n, s) { collect(v, f, n, s, tmp); if (tmp.length === 0) return NaN; let m = tmp[0]; for (const x of tmp) if (x < m) m = x; return m; },
  max(v, f, n, s) { collect(v, f, n, s, tmp); if (tmp.length === 0) return NaN; let m = tmp[0]; for (const x of tmp) if (x > m) m = x; return m; },
  count(v, f, n, s) { let c = 0; for (let k = 0; k < n; k++) if (!Number.isNaN(v[f + k * s])) c++; return c; },
  median(v, f, n, s) {
    collect(v, f, n, s, tmp);
    if (tmp.length === 0) return NaN;
    tmp.sort((a, b) => a - b);
    const h = tmp.length >> 1;
    return tmp.length % 2 === 1 ? tmp[h] : (tmp[h - 1] + tmp[h]) / 2;
  },
  var(v, f, n, s) { collect(v, f, n, s, tmp); return variance(tmp); },
  std(v, f, n, s) { collect(v, f, n, s, tmp); return Math.sqrt(variance(tmp)); },
};

function variance(xs: number[]): number {
  if (xs.length === 0) return NaN;
  let a = 0;
  for (const x of xs) a += x;
  const mean = a / xs.length;
  let ss = 0;
  for (const x of xs) ss += (x - mean) * (x - mean);
  return ss / xs.length; // numpy's default ddof=0
}

export const CROSS_AGGREGATES: readonly string[] = [...Object.keys(REDUCERS), ...Object.keys(REDUCERS).map((k) => `rate:${k}`)];

function reducerFor(agg: unknown): { reduce: Reducer; rate: boolean } {
  if (typeof agg === 'string') {
    const rate = agg.startsWith('rate:');
    const name = rate ? agg.slice(5) : agg;
    if (Object.hasOwn(REDUCERS, name)) return { reduce: REDUCERS[name], rate };
  }
  throw new InvalidInputError('operations', `unknown aggregation method ${JSON.stringify(agg)}`);
}

function fmod(a: number, b: number): number {
  // numpy.mod: the result takes the sign of the divisor
  const m = a % b;
  return m !== 0 && (b < 0) !== (m < 0) ? m + b : m;
}

const BINARY: Record<string, (a: number, b: number) => number> = {};
function defineBinary(names: string[], f: (a: number, b: number) => number): void {
  for (const n of names) BINARY[n] = f;
}
defineBinary(['=', '==', 'eq'], (a, b) => Number(a === b));
defineBinary(['<', 'lt'], (a, b) => Number(a < b));
defineBinary(['>', 'gt'], (a, b) => Number(a > b));
defineBinary(['<=', '≤', 'le'], (a, b) => Number(a <= b));
defineBinary(['>=', '≥', 'ge'], (a, b) => Number(a >= b));
defineBinary(['!=', '≠', 'ne'], (a, b) => Number(a !== b));
defineBinary(['%', 'mod'], fmod);
defineBinary(['+', 'add'], (a, b) => a + b);
defineBinary(['-', 'sub'], (a, b) => a - b);
defineBinary(['*', '×', 'mul'], (a, b) => a * b);
defineBinary(['/', '÷', 'div'], (a, b) => a / b);
defineBinary(['**', '^', 'pow'], (a, b) => a ** b);
defineBinary(['clip_min'], (a, b) => (a < b ? b : a));
defineBinary(['clip_max'], (a, b) => (a > b ? b : a));

const UNARY: Record<string, (a: number) => number> = {
  abs: Math.abs, absolute: Math.abs, neg: (a) => -a, negative: (a) => -a,
  cos: Math.cos, sin: Math.sin, tan: Math.tan, floor: Math.floor, ceil: Math.ceil,
};

export const OPERATORS: readonly string[] = ['metric', 'aggregate', 'rolling', 'resample', 'clip', 'rateofchange', ...Object.keys(BINARY), ...Object.keys(UNARY)];

function isGrid(v: Grid | number): v is Grid {
  return typeof v !== 'number';
}

/** numpy broadcasting for the shapes that occur here: equal, or one side with a single column or a scalar. */
function broadcast(a: Grid | number, b: Grid | number, f: (x: number, y: number) => number): Grid | number {
  if (!isGrid(a) && !isGrid(b)) return f(a, b);
  const rows = isGrid(a) ? a.rows : (b as Grid).rows;
  const ca = isGrid(a) ? a.cols : 1;
  const cb = isGrid(b) ? b.cols : 1;
  if (isGrid(a) && isGrid(b) && (a.rows !== b.rows || (ca !== cb && ca !== 1 && cb !== 1))) {
    throw new InvalidInputError('operations', `operands could not be broadcast together with shapes (${a.rows},${ca}) (${b.rows},${cb})`);
  }
  const cols = Math.max(ca, cb);
  const data = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const x = isGrid(a) ? a.data[r * ca + (ca === 1 ? 0 : c)] : a;
      const y = isGrid(b) ? b.data[r * cb + (cb === 1 ? 0 : c)] : b;
      data[r * cols + c] = f(x, y);
    }
  }
  return { rows, cols, data };
}

function sameTimes(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function mapGrid(v: Grid | number, f: (x: number) => number): Grid | number {
  if (!isGrid(v)) return f(v);
  const data = new Float64Array(v.data.length);
  for (let i = 0; i < data.length; i++) data[i] = f(v.data[i]);
  return { rows: v.rows, cols: v.cols, data };
}

/** Differences between consecutive rows: one row fewer. */
function diffRows(g: Grid): Grid {
  const rows = Math.max(0, g.rows - 1);
  const data = new Float64Array(rows * g.cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < g.cols; c++) data[r * g.cols + c] = g.data[(r + 1) * g.cols + c] - g.data[r * g.cols + c];
  }
  return { rows, cols: g.cols, data };
}

function asGrid(v: Grid | number, op: string): Grid {
  if (!isGrid(v)) throw new InvalidInputError('operations', `${op} needs a series, not a number`);
  return v;
}

export interface EvaluationContext {
  readonly initial: Grid;
  readonly references: readonly LookupKey[];
}

export function evaluate(node: OperationNode, granularity: Micros, times: Float64Array, ctx: EvaluationContext): Evaluated {
  const r = evaluateNode(node, granularity, times, ctx);
  if (isGrid(r.values) && r.values.rows !== r.times.length) {
    throw new Error(`timestamps and values length are different: ${r.times.length} vs ${r.values.rows}`);
  }
  return r;
}

function evaluateNode(node: OperationNode, granularity: Micros, times: Float64Array, ctx: EvaluationContext): Evaluated {
  if (typeof node === 'number') return { granularity, times, values: node, isAggregated: false };
  if (!Array.isArray(node) || node.length === 0 || typeof node[0] !== 'string') {
    throw new InvalidInputError('operations', `operation node is malformed: ${JSON.stringify(node)}`);
  }
  const op = node[0];
  switch (op) {
    case 'metric': {
      const wanted: unknown[][] = Array.isArray(node[1]) ? (node.slice(1) as unknown[][]) : [node.slice(1)];
      const cols: number[] = [];
      ctx.references.forEach((ref, i) => {
        if (wanted.some((w) => Array.isArray(w) && w.length === 2 && w[0] === ref[0] && w[1] === ref[1])) cols.push(i);
      });
      const { initial } = ctx;
      const data = new Float64Array(initial.rows * cols.length);
      for (let r = 0; r < initial.rows; r++) {
        for (let c = 0; c < cols.length; c++) data[r * cols.length + c] = initial.data[r * initial.cols + cols[c]];
      }
      return { granularity, times, values: { rows: initial.rows, cols: cols.length, data }, isAggregated: false };
    }
    case 'aggregate': {
      if (node.length !== 3) throw new InvalidInputError('operations', `aggregate takes a method and one operand: ${JSON.stringify(node)}`);
      const { reduce, rate } = reducerFor(node[1]);
      const sub = evaluateNode(node[2], granularity, times, ctx);
      const g = asGrid(sub.values, op);
      let out: Grid = { rows: g.rows, cols: 1, data: new Float64Array(g.rows) };
      for (let r = 0; r < g.rows; r++) out.data[r] = reduce(g.data, r * g.cols, g.cols, 1);
      let t = sub.times;
      if (rate) {
        out = diffRows(out);
        t = t.subarray(1);
      }
      return { granularity: sub.granularity, times: t, values: out, isAggregated: true };
    }
    case 'rolling': {
      if (node.length !== 4 || typeof node[2] !== 'number' || !Number.isInteger(node[2]) || node[2] < 1) {
        throw new InvalidInputError('operations', `rolling takes a method, a window size and one operand: ${JSON.stringify(node)}`);
      }
      const { reduce, rate } = reducerFor(node[1]);
      const window = node[2];
      const sub = evaluateNode(node[3], granularity, times, ctx);
      const g = asGrid(sub.values, op);
      if (window > g.rows) {
        throw new UnaggregableSeriesError(ctx.references, `Rolling window '${window}' is greater than serie length '${g.rows}'`);
      }
      const rows = g.rows - window + 1;
      let out: Grid = { rows, cols: g.cols, data: new Float64Array(rows * g.cols) };
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < g.cols; c++) out.data[r * g.cols + c] = reduce(g.data, r * g.cols + c, window, g.cols);
      }
      let t = sub.times.subarray(window - 1);
      if (rate) {
        out = diffRows(out);
        t = t.subarray(1);
      }
      return { granularity: sub.granularity, times: t, values: out, isAggregated: sub.isAggregated };
    }
    case 'resample': {
      if (node.length !== 4 || typeof node[2] !== 'number' || !(node[2] > 0)) {
        throw new InvalidInputError('operations', `resample takes a method, a granularity and one operand: ${JSON.stringify(node)}`);
      }
      const method = parseMethod(String(node[1]), 'operations');
      const sampling = Math.round(node[2] * 1e6);
      const sub = evaluateNode(node[3], granularity, times, ctx);
      const g = asGrid(sub.values, op);
      const column = new Float64Array(g.rows);
      let outTimes = new Float64Array(0);
      const columns: Float64Array[] = [];
      for (let c = 0; c < g.cols; c++) {
        for (let r = 0; r < g.rows; r++) column[r] = g.data[r * g.cols + c];
        const s = emptySeries(0);
        aggregateInto(sub.times, column, g.rows, null, sampling, method, s);
        outTimes = s.ts.slice(0, s.length);
        columns.push(s.values.slice(0, s.length));
      }
      const rows = outTimes.length;
      const data = new Float64Array(rows * g.cols);
      columns.forEach((col, c) => { for (let r = 0; r < rows; r++) data[r * g.cols + c] = col[r]; });
      return { granularity: sampling, times: outTimes, values: { rows, cols: g.cols, data }, isAggregated: sub.isAggregated };
    }
    case 'clip': {
      if (node.length < 3 || node.length > 4) throw new InvalidInputError('operations', `clip takes two or three operands: ${JSON.stringify(node)}`);
      const a = evaluateNode(node[1], granularity, times, ctx);
      const b = evaluateNode(node[2], granularity, times, ctx);
      const c = node.length > 3 ? evaluateNode(node[3], granularity, times, ctx) : null;
      const pick = isGrid(a.values) ? a : isGrid(b.values) ? b : c && isGrid(c.values) ? c : a;
      const lo = broadcast(a.values, b.values, (x, y) => (x < y ? y : x));
      const clipped = c === null ? lo : broadcast(lo, c.values, (x, y) => (x > y ? y : x));
      const allGrids = isGrid(a.values) && isGrid(b.values) && c !== null && isGrid(c.values);
      return { granularity: pick.granularity, times: pick.times, values: clipped, isAggregated: allGrids || a.isAggregated || b.isAggregated || (c?.isAggregated ?? false) };
    }
    case 'rateofchange': {
      const sub = evaluateNode(node[1], granularity, times, ctx);
      return { granularity: sub.granularity, times: sub.times.subarray(1), values: diffRows(asGrid(sub.values, op)), isAggregated: sub.isAggregated };
    }
  }
  if (Object.hasOwn(UNARY, op)) {
    const unary = UNARY[op];
    if (node.length !== 2) throw new InvalidInputError('operations', `${op} takes one operand: ${JSON.stringify(node)}`);
    const sub = evaluateNode(node[1], granularity, times, ctx);
    return { ...sub, values: mapGrid(sub.values, unary) };
  }
  if (Object.hasOwn(BINARY, op)) {
    const binary = BINARY[op];
    if (node.length !== 3) throw new InvalidInputError('operations', `${op} takes two operands: ${JSON.stringify(node)}`);
    const a = evaluateNode(node[1], granularity, times, ctx);
    const b = evaluateNode(node[2], granularity, times, ctx);
    let isAggregated = a.isAggregated || b.isAggregated;
    let g = a.granularity;
    let t = a.times;
    if (isGrid(a.values) && isGrid(b.values)) {
      if (!sameTimes(a.times, b.times) || a.granularity !== b.granularity) {
        throw new UnaggregableSeriesError(ctx.references, `Can't compute timeseries with different granularity ${JSON.stringify(node[1])} <> ${JSON.stringify(node[2])}`);
      }
      isAggregated = true;
    } else if (isGrid(b.values)) {
      g = b.granularity;
      t = b.times;
    }
    return { granularity: g, times: t, values: broadcast(a.values, b.values, binary), isAggregated };
  }
  throw new InvalidInputError('operations', `unknown operation ${JSON.stringify(op)}`);
}
