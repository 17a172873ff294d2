/**
 * The typed syntax tree of a PromQL expression, as the parser produces it
 * from Prometheus's own grammar and the evaluator reads it.
 */
import type { LabelMatcher } from './series-source.js';
import type { PositionRange } from './errors.js';

export type ValueType = 'scalar' | 'vector' | 'matrix' | 'string';

/** `@ <time>`, `@ start()` or `@ end()` on a selector or subquery. */
export type AtModifier = { readonly kind: 'time'; readonly ms: number } | { readonly kind: 'start' } | { readonly kind: 'end' };

export type AggregateOp = 'sum' | 'avg' | 'count' | 'min' | 'max' | 'group' | 'stddev' | 'stdvar' | 'topk' | 'bottomk' | 'quantile' | 'count_values';

export type ArithmeticOp = '+' | '-' | '*' | '/' | '%' | '^' | 'atan2';
export type ComparisonOp = '==' | '!=' | '>' | '<' | '>=' | '<=';
export type SetOp = 'and' | 'or' | 'unless';
export type BinaryOp = ArithmeticOp | ComparisonOp | SetOp;

interface Node {
  readonly pos: PositionRange;
}

export interface NumberLiteral extends Node {
  readonly type: 'NumberLiteral';
  readonly value: number;
}

export interface StringLiteral extends Node {
  readonly type: 'StringLiteral';
  readonly value: string;
}

export interface VectorSelector extends Node {
  readonly type: 'VectorSelector';
  /** The metric name written before the braces, '' when none. */
  readonly name: string;
  /** All matchers, the name's `__name__=` matcher included. */
  readonly matchers: readonly LabelMatcher[];
  /** Milliseconds, negative for `offset -5m`. */
  offsetMs: number;
  at: AtModifier | undefined;
}

export interface MatrixSelector extends Node {
  readonly type: 'MatrixSelector';
  readonly selector: VectorSelector;
  readonly rangeMs: number;
}

export interface SubqueryExpr extends Node {
  readonly type: 'SubqueryExpr';
  readonly expr: Expr;
  readonly rangeMs: number;
  /** 0 when omitted (`[30m:]`): the engine's default resolution applies. */
  readonly stepMs: number;
  offsetMs: number;
  at: AtModifier | undefined;
}

export interface ParenExpr extends Node {
  readonly type: 'ParenExpr';
  readonly expr: Expr;
}

export interface UnaryExpr extends Node {
  readonly type: 'UnaryExpr';
  readonly op: '-' | '+';
  expr: Expr;
}

export interface VectorMatching {
  /** one-to-one, many-to-one (group_left), one-to-many (group_right), many-to-many (set operators) */
  card: 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';
  /** `on(...)` rather than `ignoring(...)` */
  readonly on: boolean;
  readonly labels: readonly string[];
  /** extra labels of group_left/group_right */
  readonly include: readonly string[];
}

export interface BinaryExpr extends Node {
  readonly type: 'BinaryExpr';
  readonly op: BinaryOp;
  readonly lhs: Expr;
  rhs: Expr;
  readonly returnBool: boolean;
  /** Set when both sides are instant vectors. */
  matching: VectorMatching | undefined;
}

export interface AggregateExpr extends Node {
  readonly type: 'AggregateExpr';
  readonly op: AggregateOp;
  readonly expr: Expr;
  readonly param: Expr | undefined;
  readonly grouping: readonly string[];
  readonly without: boolean;
}

export interface Call extends Node {
  readonly type: 'Call';
  readonly func: string;
  readonly args: readonly Expr[];
}

export type Expr = NumberLiteral | StringLiteral | VectorSelector | MatrixSelector | SubqueryExpr | ParenExpr | UnaryExpr | BinaryExpr | AggregateExpr | Call;

/** The value type an expression evaluates to. */
export function typeOf(e: Expr, returnTypeOf: (func: string) => ValueType): ValueType {
  switch (e.type) {
    case 'NumberLiteral':
      return 'scalar';
    case 'StringLiteral':
      return 'string';
    case 'VectorSelector':
    case 'AggregateExpr':
      return 'vector';
    case 'MatrixSelector':
    case 'SubqueryExpr':
      return 'matrix';
    case 'ParenExpr':
    case 'UnaryExpr':
      return typeOf(e.expr, returnTypeOf);
    case 'BinaryExpr':
      return typeOf(e.lhs, returnTypeOf) === 'scalar' && typeOf(e.rhs, returnTypeOf) === 'scalar' ? 'scalar' : 'vector';
    case 'Call':
      return returnTypeOf(e.func);
  }
}

/** Strips any parentheses around an expression. */
export function unwrapParens(e: Expr): Expr {
  while (e.type === 'ParenExpr') e = e.expr;
  return e;
}
