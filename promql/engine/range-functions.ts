/**
 * Functions of a range vector, computed on one series' window of samples
 * (indexes lo ≤ i < hi of its time and value arrays) at one step. Each
 * returns the value, or undefined when Prometheus gives no sample (fewer
 * than two points for rates, for example). Semantics are Prometheus
 * 2.42's: extrapolation of rate/increase/delta, Kahan-compensated sums,
 * the same incremental means and regressions, so results agree bit for bit.
 */
import { ExecutionError } from '../errors.js';
import { kahanInc } from './kahan.js';
import { quantile } from './quantile.js';

type Arr = ArrayLike<number>;

/** One window of one series at one step; the caller moves one Window along, a function reads it and keeps nothing. */
export interface Window {
  t: Arr;
  v: Arr;
  lo: number;
  hi: number;
  /** the step's evaluation time */
  stepMs: number;
  /** the window's bounds: [maxt − range, maxt] */
  mint: number;
  maxt: number;
  rangeMs: number;
  /** the scalar arguments at this step, in argument order */
  readonly params: number[];
}

export type RangeFunction = (w: Window) => number | undefined;

const kb = new Float64Array(2);

function extrapolatedRate(w: Window, isCounter: boolean, isRate: boolean): number | undefined {
  const { t, v, lo, hi } = w;
  const n = hi - lo;
  if (n < 2) return undefined;
  const first = v[lo];
  let result = v[hi - 1] - first;
  if (isCounter) {
    let prev = first;
    for (let i = lo + 1; i < hi; i++) {
      const cur = v[i];
      if (cur < prev) result += prev;
      prev = cur;
    }
  }
  let durationToStart = (t[lo] - w.mint) / 1000;
  const durationToEnd = (w.maxt - t[hi - 1]) / 1000;
  const sampledInterval = (t[hi - 1] - t[lo]) / 1000;
  const averageBetween = sampledInterval / (n - 1);
  if (isCounter && result > 0 && first >= 0) {
    // a counter does not go below zero: extrapolate at most to where it would reach it
    const durationToZero = sampledInterval * (first / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  const threshold = averageBetween * 1.1;
  let extrapolateTo = sampledInterval;
  extrapolateTo += durationToStart < threshold ? durationToStart : averageBetween / 2;
  extrapolateTo += durationToEnd < threshold ? durationToEnd : averageBetween / 2;
  let factor = extrapolateTo / sampledInterval;
  if (isRate) factor /= w.rangeMs / 1000;
  return result * factor;
}

function instantValue(w: Window, isRate: boolean): number | undefined {
  const { t, v, lo, hi } = w;
  if (hi - lo < 2) return undefined;
  const last = v[hi - 1];
  const prev = v[hi - 2];
  const result = isRate && last < prev ? last : last - prev;
  const interval = t[hi - 1] - t[hi - 2];
  if (interval === 0) return undefined;
  return isRate ? result / (interval / 1000) : result;
}

/** Least-squares slope and the intercept at `interceptTime`, Kahan-compensated as Prometheus computes them. */
function linearRegression(w: Window, interceptTime: number, out: Float64Array): void {
  const { t, v, lo, hi } = w;
  let n = 0;
  let sumX = 0;
  let cX = 0;
  let sumY = 0;
  let cY = 0;
  let sumXY = 0;
  let cXY = 0;
  let sumX2 = 0;
  let cX2 = 0;
  const initY = v[lo];
  let constY = true;
  for (let i = lo; i < hi; i++) {
    const y = v[i];
    if (constY && i > lo && y !== initY) constY = false;
    n += 1;
    const x = (t[i] - interceptTime) / 1e3;
    kahanInc(x, sumX, cX, kb);
    sumX = kb[0];
    cX = kb[1];
    kahanInc(y, sumY, cY, kb);
    sumY = kb[0];
    cY = kb[1];
    kahanInc(x * y, sumXY, cXY, kb);
    sumXY = kb[0];
    cXY = kb[1];
    kahanInc(x * x, sumX2, cX2, kb);
    sumX2 = kb[0];
    cX2 = kb[1];
  }
  if (constY) {
    if (initY === Infinity || initY === -Infinity) {
      out[0] = NaN;
      out[1] = NaN;
    } else {
      out[0] = 0;
      out[1] = initY;
    }
    return;
  }
  sumX += cX;
  sumY += cY;
  sumXY += cXY;
  sumX2 += cX2;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  const slope = covXY / varX;
  out[0] = slope;
  out[1] = sumY / n - (slope * sumX) / n;
}

const reg = new Float64Array(2);

function avgOverTime(w: Window): number {
  const { v, lo, hi } = w;
  let mean = 0;
  let count = 0;
  let c = 0;
  for (let i = lo; i < hi; i++) {
    const x = v[i];
    count++;
    if (mean === Infinity || mean === -Infinity) {
      // an infinite mean stays as it is unless a NaN or the opposite infinity comes
      if ((x === Infinity || x === -Infinity) && mean > 0 === x > 0) continue;
      if (x !== Infinity && x !== -Infinity && x === x) continue;
    }
    // Neumaier-compensated step, inlined for speed (see kahan.ts)
    const inc = x / count - mean / count;
    const t = mean + inc;
    if (Math.abs(mean) >= Math.abs(inc)) c += mean - t + inc;
    else c += inc - t + mean;
    mean = t;
  }
  return mean === Infinity || mean === -Infinity ? mean : mean + c;
}

function sumOverTime(w: Window): number {
  const { v, lo, hi } = w;
  let sum = 0;
  let c = 0;
  for (let i = lo; i < hi; i++) {
    const inc = v[i];
    const t = sum + inc;
    if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc;
    else c += inc - t + sum;
    sum = t;
  }
  return sum === Infinity || sum === -Infinity ? sum : sum + c;
}

function varianceOverTime(w: Window): number {
  const { v, lo, hi } = w;
  let count = 0;
  let mean = 0;
  let cMean = 0;
  let aux = 0;
  let cAux = 0;
  for (let i = lo; i < hi; i++) {
    const x = v[i];
    count++;
    const delta = x - (mean + cMean);
    kahanInc(delta / count, mean, cMean, kb);
    mean = kb[0];
    cMean = kb[1];
    kahanInc(delta * (x - (mean + cMean)), aux, cAux, kb);
    aux = kb[0];
    cAux = kb[1];
  }
  return (aux + cAux) / count;
}

function holtWinters(w: Window): number | undefined {
  const [sf, tf] = w.params;
  // Go's comparisons: NaN passes these checks
  if (sf <= 0 || sf >= 1) throw new ExecutionError(`invalid smoothing factor. Expected: 0 < sf < 1, got: ${sf.toFixed(6)}`);
  if (tf <= 0 || tf >= 1) throw new ExecutionError(`invalid trend factor. Expected: 0 < tf < 1, got: ${tf.toFixed(6)}`);
  const { v, lo, hi } = w;
  if (hi - lo < 2) return undefined;
  let s0 = 0;
  let s1 = v[lo];
  let b = v[lo + 1] - v[lo];
  for (let i = 1; i < hi - lo; i++) {
    const x = sf * v[lo + i];
    // the trend at i-1: the first step keeps the initial slope
    if (i - 1 !== 0) b = tf * (s1 - s0) + (1 - tf) * b;
    const y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  return s1;
}

export const RANGE_FUNCTIONS: Readonly<Record<string, RangeFunction>> = {
  rate: (w) => extrapolatedRate(w, true, true),
  increase: (w) => extrapolatedRate(w, true, false),
  delta: (w) => extrapolatedRate(w, false, false),
  irate: (w) => instantValue(w, true),
  idelta: (w) => instantValue(w, false),
  deriv: (w) => {
    if (w.hi - w.lo < 2) return undefined;
    linearRegression(w, w.t[w.lo], reg);
    return reg[0];
  },
  predict_linear: (w) => {
    if (w.hi - w.lo < 2) return undefined;
    linearRegression(w, w.stepMs, reg);
    return reg[0] * w.params[0] + reg[1];
  },
  resets: ({ v, lo, hi }) => {
    let n = 0;
    for (let i = lo + 1; i < hi; i++) if (v[i] < v[i - 1]) n++;
    return n;
  },
  changes: ({ v, lo, hi }) => {
    let n = 0;
    for (let i = lo + 1; i < hi; i++) {
      const cur = v[i];
      const prev = v[i - 1];
      if (cur !== prev && !(cur !== cur && prev !== prev)) n++;
    }
    return n;
  },
  avg_over_time: avgOverTime,
  sum_over_time: sumOverTime,
  count_over_time: ({ lo, hi }) => hi - lo,
  min_over_time: ({ v, lo, hi }) => {
    let m = v[lo];
    for (let i = lo; i < hi; i++) if (v[i] < m || m !== m) m = v[i];
    return m;
  },
  max_over_time: ({ v, lo, hi }) => {
    let m = v[lo];
    for (let i = lo; i < hi; i++) if (v[i] > m || m !== m) m = v[i];
    return m;
  },
  last_over_time: ({ v, hi }) => v[hi - 1],
  present_over_time: () => 1,
  absent_over_time: () => 1,
  stddev_over_time: (w) => Math.sqrt(varianceOverTime(w)),
  stdvar_over_time: varianceOverTime,
  quantile_over_time: (w) => {
    const vals: number[] = [];
    for (let i = w.lo; i < w.hi; i++) vals.push(w.v[i]);
    return quantile(w.params[0], vals);
  },
  holt_winters: holtWinters,
};
