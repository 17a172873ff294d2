/**
 * Selectors over prefetched samples. An instant vector selector takes, at
 * each step, the newest sample at or before the step (less its offset, or
 * at its @ time) no older than the lookback window, none if that sample is
 * a stale marker. A range selector's window at a step is [t − range, t],
 * both ends included (Prometheus 2.42), stale markers left out.
 */
import type { MatrixSelector, VectorSelector } from '../ast.js';
import type { QueryContext, SelectedSeries } from './context.js';
import type { Grid, RangeSeries, StepSeries } from './values.js';

export function selectedSeries(ctx: QueryContext, s: VectorSelector): readonly SelectedSeries[] {
  return ctx.data.get(s) ?? [];
}

/** The instant vector selector at every step of the grid. */
export function evalVectorSelector(ctx: QueryContext, grid: Grid, sel: VectorSelector): StepSeries[] {
  const out: StepSeries[] = [];
  const at = ctx.atTime(sel.at);
  const lookback = ctx.lookbackMs;
  for (const s of selectedSeries(ctx, sel)) {
    ctx.check();
    const t = s.timestamps;
    const v = s.values;
    const stale = s.stale;
    const steps: number[] = [];
    const values: number[] = [];
    let j = -1; // index of the newest sample at or before the reference time
    for (let i = 0; i < grid.steps; i++) {
      const ref = (at ?? grid.start + i * grid.interval) - sel.offsetMs;
      if (at === undefined || i === 0) {
        while (j + 1 < t.length && t[j + 1] <= ref) j++;
      }
      if (j < 0 || t[j] < ref - lookback) continue;
      if (stale !== null && stale[j] === 1) continue;
      steps.push(i);
      values.push(v[j]);
    }
    if (steps.length > 0) {
      ctx.count(steps.length);
      out.push({ labels: s.labels, steps, values });
    }
  }
  return out;
}

/** For timestamp(): the times of the samples an instant selector picks, in seconds. */
export function evalSelectorTimestamps(ctx: QueryContext, grid: Grid, sel: VectorSelector): StepSeries[] {
  const out: StepSeries[] = [];
  const at = ctx.atTime(sel.at);
  for (const s of selectedSeries(ctx, sel)) {
    ctx.check();
    const t = s.timestamps;
    const steps: number[] = [];
    const values: number[] = [];
    let j = -1;
    for (let i = 0; i < grid.steps; i++) {
      // Prometheus 2.42 evaluates timestamp() of `x @ t offset o` at t itself, over the samples
      // fetched for t − o: the offset only narrows what is visible
      const ref = at ?? grid.start + i * grid.interval - sel.offsetMs;
      while (j + 1 < t.length && t[j + 1] <= ref) j++;
      if (j < 0 || t[j] < ref - ctx.lookbackMs) continue;
      if (s.stale !== null && s.stale[j] === 1) continue;
      steps.push(i);
      values.push(t[j] / 1000);
    }
    if (steps.length > 0) out.push({ labels: s.labels, steps, values });
  }
  return out;
}

/** A range vector selector evaluated at one time: the raw samples of each series in its window. */
export function evalMatrixSelector(ctx: QueryContext, atMs: number, m: MatrixSelector): RangeSeries[] {
  const sel = m.selector;
  const maxt = (ctx.atTime(sel.at) ?? atMs) - sel.offsetMs;
  const mint = maxt - m.rangeMs;
  const out: RangeSeries[] = [];
  for (const s of selectedSeries(ctx, sel)) {
    const t = s.rangeTimestamps;
    let lo = 0;
    while (lo < t.length && t[lo] < mint) lo++;
    let hi = lo;
    while (hi < t.length && t[hi] <= maxt) hi++;
    if (hi > lo) {
      ctx.count(hi - lo);
      out.push({ labels: s.labels, timestamps: t.subarray(lo, hi), values: s.rangeValues.subarray(lo, hi) });
    }
  }
  return out;
}
