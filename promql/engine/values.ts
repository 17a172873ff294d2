/**
 * What evaluating an expression over a grid of steps yields. An instant
 * vector over steps is a list of series, each with the step indexes where
 * it has a value; a scalar has one value per step; a range vector (only
 * ever the final result of an instant query) keeps raw sample times.
 */
import type { Labels } from '../series-source.js';
import { ExecutionError } from '../errors.js';
import { labelsKey } from './labels.js';

/** Evaluation times: start, start+interval, … ≤ end (milliseconds). */
export interface Grid {
  readonly start: number;
  readonly end: number;
  readonly interval: number;
  readonly steps: number;
}

export function makeGrid(start: number, end: number, interval: number): Grid {
  return { start, end, interval, steps: Math.floor((end - start) / interval) + 1 };
}

export interface StepSeries {
  readonly labels: Labels;
  /** step indexes, ascending */
  readonly steps: number[];
  readonly values: number[];
}

export interface RangeSeries {
  readonly labels: Labels;
  readonly timestamps: ArrayLike<number>;
  readonly values: ArrayLike<number>;
}

export type EvalValue =
  | { readonly kind: 'vector'; readonly series: StepSeries[] }
  | { readonly kind: 'scalar'; readonly values: Float64Array }
  | { readonly kind: 'matrix'; readonly series: RangeSeries[] }
  | { readonly kind: 'string'; readonly value: string };

export const DUPLICATE_LABELSET = 'vector cannot contain metrics with the same labelset';

/**
 * Collects output samples step by step into series by label set, failing
 * as Prometheus does when one step gets the same label set twice.
 */
export class SeriesBuilder {
  private readonly byKey = new Map<string, { series: StepSeries; last: number }>();
  readonly out: StepSeries[] = [];

  add(labels: Labels, step: number, value: number, key = labelsKey(labels)): void {
    let e = this.byKey.get(key);
    if (e === undefined) {
      e = { series: { labels, steps: [], values: [] }, last: -1 };
      this.byKey.set(key, e);
      this.out.push(e.series);
    } else if (e.last === step) {
      throw new ExecutionError(DUPLICATE_LABELSET);
    }
    e.last = step;
    e.series.steps.push(step);
    e.series.values.push(value);
  }
}

/**
 * Series whose labels changed series by series (a function or operator
 * applied to each): those that now share labels are merged, an error if
 * they share a step, as Prometheus's step-wise evaluation would find.
 */
export function mergeSameLabels(series: StepSeries[]): StepSeries[] {
  const seen = new Map<string, number>();
  let clash = false;
  for (let i = 0; i < series.length; i++) {
    const k = labelsKey(series[i].labels);
    if (seen.has(k)) clash = true;
    else seen.set(k, i);
  }
  if (!clash) return series;
  const groups = new Map<string, StepSeries[]>();
  const order: string[] = [];
  for (const s of series) {
    const k = labelsKey(s.labels);
    const g = groups.get(k);
    if (g === undefined) {
      groups.set(k, [s]);
      order.push(k);
    } else g.push(s);
  }
  return order.map((k) => {
    const g = groups.get(k)!;
    if (g.length === 1) return g[0];
    const pairs: [number, number][] = [];
    for (const s of g) for (let i = 0; i < s.steps.length; i++) pairs.push([s.steps[i], s.values[i]]);
    pairs.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < pairs.length; i++) if (pairs[i][0] === pairs[i - 1][0]) throw new ExecutionError(DUPLICATE_LABELSET);
    return { labels: g[0].labels, steps: pairs.map((p) => p[0]), values: pairs.map((p) => p[1]) };
  });
}

/** Prometheus's check on whole range-function results: no two series with the same labels, whatever their steps. */
export function assertUniqueLabels(series: readonly { labels: Labels }[]): void {
  const seen = new Set<string>();
  for (const s of series) {
    const k = labelsKey(s.labels);
    if (seen.has(k)) throw new ExecutionError(DUPLICATE_LABELSET);
    seen.add(k);
  }
}

/** Visits, step by step, which series of a vector have a value: for operators that combine samples of one step. */
export class StepCursor {
  private readonly pos: Int32Array;
  /** indexes into `series` of the samples present at the current step */
  readonly idx: Int32Array;
  readonly val: Float64Array;
  count = 0;

  constructor(readonly series: readonly StepSeries[]) {
    this.pos = new Int32Array(series.length);
    this.idx = new Int32Array(series.length);
    this.val = new Float64Array(series.length);
  }

  /** Moves to `step` (steps must be visited in ascending order). */
  at(step: number): number {
    let n = 0;
    const series = this.series;
    for (let i = 0; i < series.length; i++) {
      const s = series[i];
      const p = this.pos[i];
      if (p < s.steps.length && s.steps[p] === step) {
        this.idx[n] = i;
        this.val[n] = s.values[p];
        n++;
        this.pos[i] = p + 1;
      }
    }
    this.count = n;
    return n;
  }
}
