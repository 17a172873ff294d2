/**
 * Which samples each selector of a query needs, so that each is fetched
 * once for the whole query: the evaluation times it will be asked about
 * (through subqueries, offsets and @), widened by its range or by the
 * lookback window.
 */
import type { Expr, VectorSelector } from '../ast.js';
import type { AtModifier } from '../ast.js';

export interface FetchRange {
  readonly selector: VectorSelector;
  readonly startMs: number;
  readonly endMs: number;
}

export interface PlanTimes {
  readonly startMs: number;
  readonly endMs: number;
  readonly lookbackMs: number;
}

export function planFetches(root: Expr, times: PlanTimes): FetchRange[] {
  const out: FetchRange[] = [];
  const atTime = (at: AtModifier | undefined): number | undefined =>
    at === undefined ? undefined : at.kind === 'time' ? at.ms : at.kind === 'start' ? times.startMs : times.endMs;

  const selector = (s: VectorSelector, lo: number, hi: number, rangeMs: number): void => {
    const at = atTime(s.at);
    const from = (at ?? lo) - s.offsetMs - (rangeMs > 0 ? rangeMs : times.lookbackMs);
    const to = (at ?? hi) - s.offsetMs;
    out.push({ selector: s, startMs: from, endMs: to });
  };

  const walk = (e: Expr, lo: number, hi: number): void => {
    switch (e.type) {
      case 'VectorSelector':
        selector(e, lo, hi, 0);
        return;
      case 'MatrixSelector':
        selector(e.selector, lo, hi, e.rangeMs);
        return;
      case 'SubqueryExpr': {
        const at = atTime(e.at);
        walk(e.expr, (at ?? lo) - e.offsetMs - e.rangeMs, (at ?? hi) - e.offsetMs);
        return;
      }
      case 'ParenExpr':
      case 'UnaryExpr':
        walk(e.expr, lo, hi);
        return;
      case 'BinaryExpr':
        walk(e.lhs, lo, hi);
        walk(e.rhs, lo, hi);
        return;
      case 'AggregateExpr':
        if (e.param !== undefined) walk(e.param, lo, hi);
        walk(e.expr, lo, hi);
        return;
      case 'Call':
        for (const a of e.args) walk(a, lo, hi);
        return;
      case 'NumberLiteral':
      case 'StringLiteral':
        return;
    }
  };
  walk(root, times.startMs, times.endMs);
  return out;
}
