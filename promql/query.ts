/**
 * Running a PromQL query against a SeriesSource: parse, fetch each
 * selector's samples once for the whole query, evaluate over the query's
 * steps, and shape the result as Prometheus's API does.
 */
import { type Expr, typeOf } from './ast.js';
import { QueryContext, prepareSeries, type SelectedSeries } from './engine/context.js';
import { evaluate } from './engine/evaluator.js';
import { planFetches } from './engine/fetch-plan.js';
import { compareLabels } from './engine/labels.js';
import { makeGrid } from './engine/values.js';
import { BadDataError, CanceledError, ExecutionError, PromQLError, TimeoutError } from './errors.js';
import { returnTypeOf } from './function-signatures.js';
import { parseExpr } from './parse.js';
import type { Labels, SeriesSource } from './series-source.js';
import type { VectorSelector } from './ast.js';

export interface QueryOptions {
  /** how far back an instant selector looks for a sample; Prometheus's default 5 minutes */
  readonly lookbackDeltaMs?: number;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** most samples held at once; Prometheus's default 50 million */
  readonly maxSamples?: number;
  /** step of subqueries written without one (`[1h:]`): Prometheus's global evaluation interval, 1 minute by default */
  readonly subqueryStepMs?: number;
}

export type QueryResult =
  | { readonly resultType: 'vector'; readonly result: readonly { readonly metric: Labels; readonly timestampMs: number; readonly value: number }[] }
  | { readonly resultType: 'matrix'; readonly result: readonly { readonly metric: Labels; readonly timestampsMs: readonly number[]; readonly values: readonly number[] }[] }
  | { readonly resultType: 'scalar'; readonly timestampMs: number; readonly value: number }
  | { readonly resultType: 'string'; readonly timestampMs: number; readonly value: string };

const DEFAULT_LOOKBACK_MS = 300_000;
const DEFAULT_TIMEOUT_MS = 120_000;
const DEFAULT_MAX_SAMPLES = 50_000_000;
const DEFAULT_SUBQUERY_STEP_MS = 60_000;
const MAX_RANGE_POINTS = 11_000;

/** Evaluates `query` at one time (milliseconds since the epoch). */
export async function instantQuery(source: SeriesSource, query: string, timeMs: number, options: QueryOptions = {}): Promise<QueryResult> {
  const expr = parseExpr(query);
  return run(source, expr, timeMs, timeMs, 1, options, false);
}

/** Evaluates `query` at start, start+step, … ≤ end (milliseconds); the result is always a matrix. */
export async function rangeQuery(source: SeriesSource, query: string, startMs: number, endMs: number, stepMs: number, options: QueryOptions = {}): Promise<QueryResult> {
  if (endMs < startMs) throw new BadDataError('end timestamp must not be before start time');
  if (!(stepMs > 0)) throw new BadDataError('zero or negative query resolution step widths are not accepted. Try a positive integer');
  if ((endMs - startMs) / stepMs > MAX_RANGE_POINTS) throw new BadDataError('exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)');
  const expr = parseExpr(query);
  const t = typeOf(expr, returnTypeOf);
  if (t !== 'scalar' && t !== 'vector') {
    throw new BadDataError(`invalid expression type "${t === 'matrix' ? 'range vector' : t}" for range query, must be Scalar or instant Vector`);
  }
  return run(source, expr, startMs, endMs, stepMs, options, true);
}

async function run(source: SeriesSource, expr: Expr, startMs: number, endMs: number, stepMs: number, options: QueryOptions, isRange: boolean): Promise<QueryResult> {
  const lookbackMs = options.lookbackDeltaMs ?? DEFAULT_LOOKBACK_MS;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => controller.abort(new TimeoutError('query execution')), timeoutMs);
  try {
    if (options.signal?.aborted) throw new CanceledError('query execution');
    const data = await fetchAll(source, expr, startMs, endMs, lookbackMs, controller.signal);
    const ctx = new QueryContext(data, lookbackMs, startMs, endMs, options.subqueryStepMs ?? DEFAULT_SUBQUERY_STEP_MS, options.maxSamples ?? DEFAULT_MAX_SAMPLES, deadline, options.signal);
    const grid = makeGrid(startMs, endMs, stepMs);
    const v = evaluate(ctx, grid, expr);
    const time = (step: number): number => startMs + step * stepMs;
    switch (v.kind) {
      case 'string':
        return { resultType: 'string', timestampMs: startMs, value: v.value };
      case 'scalar':
        if (!isRange) return { resultType: 'scalar', timestampMs: startMs, value: v.values[0] };
        return { resultType: 'matrix', result: [{ metric: [], timestampsMs: Array.from(v.values, (_, i) => time(i)), values: Array.from(v.values) }] };
      case 'matrix':
        return { resultType: 'matrix', result: v.series.map((s) => ({ metric: s.labels, timestampsMs: Array.from(s.timestamps), values: Array.from(s.values) })) };
      case 'vector':
        if (!isRange) return { resultType: 'vector', result: v.series.map((s) => ({ metric: s.labels, timestampMs: startMs, value: s.values[0] })) };
        return {
          resultType: 'matrix',
          result: [...v.series].sort((a, b) => compareLabels(a.labels, b.labels)).map((s) => ({ metric: s.labels, timestampsMs: s.steps.map(time), values: s.values })),
        };
    }
    throw new ExecutionError('unexpected value type');
  } catch (err) {
    if (err instanceof PromQLError) throw err;
    if (controller.signal.aborted) {
      if (options.signal?.aborted) throw new CanceledError('query execution');
      throw new TimeoutError('query execution');
    }
    throw new ExecutionError(err instanceof Error ? err.message : String(err));
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** Fetches every selector's samples once, for all the times the query will look at them. */
async function fetchAll(source: SeriesSource, expr: Expr, startMs: number, endMs: number, lookbackMs: number, signal: AbortSignal): Promise<Map<VectorSelector, SelectedSeries[]>> {
  const plan = planFetches(expr, { startMs, endMs, lookbackMs });
  const fetched = await Promise.all(plan.map((p) => source.select(p.selector.matchers, p.startMs, p.endMs, signal)));
  const data = new Map<VectorSelector, SelectedSeries[]>();
  plan.forEach((p, i) => {
    const prepared = fetched[i].map((s) => prepareSeries(s.labels, s.timestamps, s.values, p.startMs, p.endMs)).filter((s) => s.timestamps.length > 0);
    // Prometheus's storage returns series in label order; sums and outputs follow that order
    prepared.sort((a, b) => compareLabels(a.labels, b.labels));
    data.set(p.selector, prepared);
  });
  return data;
}
