/**
 * Which expressions Prometheus 2.42 treats as step invariant (fixed by @
 * and evaluated once per query). It matters for one of its quirks: a range
 * selector with @ inside a function call that is *not* step invariant
 * (predict_linear, or a call with another argument that varies) is
 * evaluated with the @ turned into an offset from the query's start, so its
 * window moves with the steps, over samples fetched only around the @ time.
 */
import type { Expr } from '../ast.js';

/** Functions whose result depends on the evaluation time even with fixed arguments. */
const AT_UNSAFE = new Set(['days_in_month', 'day_of_month', 'day_of_week', 'day_of_year', 'hour', 'minute', 'month', 'year', 'predict_linear', 'time', 'timestamp']);

export function isStepInvariant(e: Expr): boolean {
  switch (e.type) {
    case 'VectorSelector':
      return e.at !== undefined;
    case 'MatrixSelector':
      return e.selector.at !== undefined;
    case 'SubqueryExpr':
      return e.at !== undefined;
    case 'NumberLiteral':
    case 'StringLiteral':
      return true;
    case 'ParenExpr':
    case 'UnaryExpr':
      return isStepInvariant(e.expr);
    case 'BinaryExpr':
      return isStepInvariant(e.lhs) && isStepInvariant(e.rhs);
    case 'AggregateExpr':
      return isStepInvariant(e.expr);
    case 'Call': {
      let all = !AT_UNSAFE.has(e.func);
      for (const a of e.args) all = isStepInvariant(a) && all;
      return all;
    }
  }
}
