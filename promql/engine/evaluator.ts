/**
 * Evaluates an expression over a grid of steps (one step for an instant
 * query), the way Prometheus's engine evaluates a range query: every node
 * yields its value at all steps at once, selectors read the samples
 * fetched once for the whole query, and subqueries evaluate their inner
 * expression over their own, step-aligned grid.
 */
import { type AggregateExpr, type BinaryExpr, type Call, type Expr, type SubqueryExpr, unwrapParens } from '../ast.js';
import { ExecutionError } from '../errors.js';
import { evalAggregation } from './aggregations.js';
import { scalarBinary, setOperation, vectorBinary, vectorScalarBinary } from './binary-ops.js';
import type { QueryContext } from './context.js';
import { absentLabels, evalFunction } from './functions.js';
import { dropMetricName } from './labels.js';
import { RANGE_FUNCTIONS, type Window } from './range-functions.js';
import { isStepInvariant } from './step-invariance.js';
import { evalMatrixSelector, evalSelectorTimestamps, evalVectorSelector, selectedSeries } from './selectors.js';
import { assertUniqueLabels, type EvalValue, type Grid, makeGrid, mergeSameLabels, type RangeSeries, type StepSeries } from './values.js';

/** Samples of one series that windows are cut from, ascending in time. */
interface WindowSource {
  readonly labels: RangeSeries['labels'];
  readonly t: ArrayLike<number>;
  readonly v: ArrayLike<number>;
}

/** A range-vector argument: its series and how to place the window at a step. */
interface RangeArg {
  readonly series: readonly WindowSource[];
  readonly rangeMs: number;
  readonly offsetMs: number;
  readonly atMs: number | undefined;
}

export function evaluate(ctx: QueryContext, grid: Grid, e: Expr): EvalValue {
  ctx.checkNow();
  switch (e.type) {
    case 'NumberLiteral':
      return { kind: 'scalar', values: new Float64Array(grid.steps).fill(e.value) };
    case 'StringLiteral':
      return { kind: 'string', value: e.value };
    case 'ParenExpr':
      return evaluate(ctx, grid, e.expr);
    case 'UnaryExpr': {
      const v = evaluate(ctx, grid, e.expr);
      if (e.op === '+') return v;
      if (v.kind === 'scalar') return { kind: 'scalar', values: v.values.map((x) => -x) };
      if (v.kind !== 'vector') throw new ExecutionError('unary minus applies to scalars and instant vectors');
      const series = v.series.map((s) => ({ labels: dropMetricName(s.labels), steps: s.steps, values: s.values.map((x) => -x) }));
      assertUniqueLabels(series);
      return { kind: 'vector', series };
    }
    case 'VectorSelector':
      return { kind: 'vector', series: evalVectorSelector(ctx, grid, e) };
    case 'MatrixSelector':
      if (grid.steps !== 1) throw new ExecutionError('cannot do range evaluation of matrix selector');
      return { kind: 'matrix', series: evalMatrixSelector(ctx, grid.start, e) };
    case 'SubqueryExpr': {
      const { series } = evalSubquery(ctx, grid, e);
      return { kind: 'matrix', series: series.map((s) => ({ labels: s.labels, timestamps: s.t, values: s.v })) };
    }
    case 'BinaryExpr':
      return evalBinary(ctx, grid, e);
    case 'AggregateExpr':
      return evalAggregate(ctx, grid, e);
    case 'Call':
      return evalCall(ctx, grid, e);
  }
}

function evalBinary(ctx: QueryContext, grid: Grid, e: BinaryExpr): EvalValue {
  const l = evaluate(ctx, grid, e.lhs);
  const r = evaluate(ctx, grid, e.rhs);
  if (l.kind === 'scalar' && r.kind === 'scalar') return { kind: 'scalar', values: scalarBinary(e.op, l.values, r.values) };
  if (l.kind === 'vector' && r.kind === 'scalar') return { kind: 'vector', series: vectorScalarBinary(e, l.series, r.values, false) };
  if (l.kind === 'scalar' && r.kind === 'vector') return { kind: 'vector', series: vectorScalarBinary(e, r.series, l.values, true) };
  if (l.kind === 'vector' && r.kind === 'vector') {
    const m = e.matching;
    if (m === undefined) throw new ExecutionError('vector matching missing');
    if (e.op === 'and' || e.op === 'or' || e.op === 'unless') return { kind: 'vector', series: setOperation(grid, e.op, m, l.series, r.series) };
    return { kind: 'vector', series: vectorBinary(ctx, grid, e, l.series, r.series) };
  }
  throw new ExecutionError(`binary expression between ${l.kind} and ${r.kind}`);
}

function evalAggregate(ctx: QueryContext, grid: Grid, e: AggregateExpr): EvalValue {
  let param: Float64Array | string | undefined;
  if (e.param !== undefined) {
    const p = evaluate(ctx, grid, e.param);
    if (p.kind === 'string') param = p.value;
    else if (p.kind === 'scalar') param = p.values;
    else throw new ExecutionError('aggregation parameter must be a scalar or a string');
  }
  const v = evaluate(ctx, grid, e.expr);
  if (v.kind !== 'vector') throw new ExecutionError('aggregation over a non-vector');
  return { kind: 'vector', series: evalAggregation(ctx, grid, e, v.series, param) };
}

function evalCall(ctx: QueryContext, grid: Grid, e: Call): EvalValue {
  const rangeFn = RANGE_FUNCTIONS[e.func];
  if (rangeFn !== undefined) return evalRangeCall(ctx, grid, e);
  if (e.func === 'timestamp') {
    const arg = unwrapParens(e.args[0]);
    // on a selector, the time of the sample it picked (not the step's)
    if (arg.type === 'VectorSelector') {
      return { kind: 'vector', series: mergeSameLabels(evalSelectorTimestamps(ctx, grid, arg).map((s) => ({ ...s, labels: dropMetricName(s.labels) }))) };
    }
  }
  const args = e.args.map((a) => (unwrapParens(a).type === 'StringLiteral' ? ({ kind: 'string', value: '' } as const) : evaluate(ctx, grid, a)));
  return evalFunction(grid, e, args);
}

/** A subquery's inner expression over its own grid: steps aligned to multiples of its step, covering [start − offset − range, end − offset]. */
function evalSubquery(ctx: QueryContext, grid: Grid, e: SubqueryExpr, sliding = false): { series: WindowSource[]; arg: RangeArg } {
  let at = ctx.atTime(e.at);
  let offsetMs = e.offsetMs;
  if (sliding && at !== undefined) {
    offsetMs += grid.start - at;
    at = undefined;
  }
  const step = e.stepMs > 0 ? e.stepMs : ctx.subqueryStepMs;
  const outerStart = at ?? grid.start;
  const outerEnd = at ?? grid.end;
  const from = outerStart - offsetMs - e.rangeMs;
  // Go's integer division truncates toward zero
  let start = step * Math.trunc(from / step);
  if (start < from) start += step;
  const end = outerEnd - offsetMs;
  const series: WindowSource[] = [];
  if (start <= end) {
    const inner = makeGrid(start, end, step);
    const v = evaluate(ctx, inner, e.expr);
    if (v.kind !== 'vector') throw new ExecutionError('subquery is only allowed on instant vector');
    for (const s of v.series) {
      const t = new Float64Array(s.steps.length);
      for (let i = 0; i < t.length; i++) t[i] = start + s.steps[i] * step;
      series.push({ labels: s.labels, t, v: Float64Array.from(s.values) });
    }
  }
  return { series, arg: { series, rangeMs: e.rangeMs, offsetMs, atMs: at } };
}

/**
 * A range-vector argument. With `sliding`, an @ becomes an offset from the
 * grid's start, as Prometheus 2.42 does in calls that are not step
 * invariant, so the window moves with the steps.
 */
function rangeArg(ctx: QueryContext, grid: Grid, e: Expr, sliding: boolean): RangeArg {
  const u = unwrapParens(e);
  if (u.type === 'MatrixSelector') {
    const sel = u.selector;
    const at = ctx.atTime(sel.at);
    const slide = sliding && at !== undefined;
    return {
      series: selectedSeries(ctx, sel).map((s) => ({ labels: s.labels, t: s.rangeTimestamps, v: s.rangeValues })),
      rangeMs: u.rangeMs,
      offsetMs: slide ? sel.offsetMs + grid.start - at : sel.offsetMs,
      atMs: slide ? undefined : at,
    };
  }
  if (u.type === 'SubqueryExpr') return evalSubquery(ctx, grid, u, sliding).arg;
  throw new ExecutionError('expected a range vector');
}

/** A function of a range vector: each series' window at each step, Prometheus's extrapolation and all. */
function evalRangeCall(ctx: QueryContext, grid: Grid, e: Call): EvalValue {
  const fn = RANGE_FUNCTIONS[e.func];
  const matrixIndex = e.args.findIndex((a) => {
    const u = unwrapParens(a);
    return u.type === 'MatrixSelector' || u.type === 'SubqueryExpr';
  });
  const scalars: Float64Array[] = [];
  e.args.forEach((a, i) => {
    if (i === matrixIndex) return;
    const v = evaluate(ctx, grid, a);
    if (v.kind !== 'scalar') throw new ExecutionError(`expected a scalar argument to ${e.func}`);
    scalars.push(v.values);
  });
  const arg = rangeArg(ctx, grid, e.args[matrixIndex], !isStepInvariant(e));
  const keepName = e.func === 'last_over_time';
  // one window moved along every series and step: no object per evaluation
  const w: Window = { t: [], v: [], lo: 0, hi: 0, stepMs: 0, mint: 0, maxt: 0, rangeMs: arg.rangeMs, params: new Array<number>(scalars.length).fill(0) };
  const out: StepSeries[] = [];
  for (const s of arg.series) {
    ctx.check();
    const t = s.t;
    w.t = t;
    w.v = s.v;
    const steps: number[] = [];
    const values: number[] = [];
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < grid.steps; i++) {
      const stepMs = grid.start + i * grid.interval;
      const maxt = (arg.atMs ?? stepMs) - arg.offsetMs;
      const mint = maxt - arg.rangeMs;
      // windows only move forward as steps advance (or stay put with @)
      while (lo < t.length && t[lo] < mint) lo++;
      if (hi < lo) hi = lo;
      while (hi < t.length && t[hi] <= maxt) hi++;
      if (hi === lo) continue;
      for (let p = 0; p < scalars.length; p++) w.params[p] = scalars[p][i];
      w.lo = lo;
      w.hi = hi;
      w.stepMs = stepMs;
      w.mint = mint;
      w.maxt = maxt;
      const r = fn(w);
      if (r === undefined) continue;
      steps.push(i);
      values.push(r);
    }
    if (steps.length > 0) {
      ctx.count(steps.length);
      out.push({ labels: keepName ? s.labels : dropMetricName(s.labels), steps, values });
    }
  }
  if (e.func === 'absent_over_time') return { kind: 'vector', series: absentOverTime(grid, out, e.args[0]) };
  assertUniqueLabels(out);
  return { kind: 'vector', series: out };
}

/** 1 at the steps where no series had a sample in its window, with the labels absent() would give. */
function absentOverTime(grid: Grid, present: StepSeries[], arg: Expr): StepSeries[] {
  const seen = new Uint8Array(grid.steps);
  for (const s of present) for (const st of s.steps) seen[st] = 1;
  const out: StepSeries = { labels: absentLabels(arg), steps: [], values: [] };
  for (let i = 0; i < grid.steps; i++) {
    if (seen[i] === 0) {
      out.steps.push(i);
      out.values.push(1);
    }
  }
  return out.steps.length > 0 ? [out] : [];
}
