/**
 * Prometheus's checks after parsing: value types of operands and
 * arguments, modifiers allowed on which operators, and selectors that
 * could match every series. Errors carry Prometheus's wording.
 */
import { type Expr, type ValueType, typeOf } from './ast.js';
import { ParseError, type PositionRange } from './errors.js';
import { FUNCTIONS, returnTypeOf } from './function-signatures.js';
import { anchoredRegex } from './regex.js';
import type { LabelMatcher } from './series-source.js';

const COMPARISON = new Set(['==', '!=', '>', '<', '>=', '<=']);
const SET = new Set(['and', 'or', 'unless']);

const DOCUMENTED: Record<ValueType, string> = { scalar: 'scalar', vector: 'instant vector', matrix: 'range vector', string: 'string' };

export function checkExpr(root: Expr, query: string): void {
  const fail = (pos: PositionRange, message: string): never => {
    throw new ParseError(message, pos, query);
  };
  const type = (e: Expr): ValueType => typeOf(e, returnTypeOf);
  const expect = (e: Expr, want: ValueType, context: string): void => {
    visit(e);
    const t = type(e);
    if (t !== want) fail(e.pos, `expected type ${DOCUMENTED[want]} in ${context}, got ${DOCUMENTED[t]}`);
  };

  function visit(e: Expr): void {
    switch (e.type) {
      case 'NumberLiteral':
      case 'StringLiteral':
        return;
      case 'ParenExpr':
        visit(e.expr);
        return;
      case 'UnaryExpr': {
        visit(e.expr);
        const t = type(e.expr);
        if (t !== 'scalar' && t !== 'vector') fail(e.pos, `unary expression only allowed on expressions of type scalar or instant vector, got "${DOCUMENTED[t]}"`);
        return;
      }
      case 'SubqueryExpr': {
        visit(e.expr);
        const t = type(e.expr);
        if (t !== 'vector') fail(e.pos, `subquery is only allowed on instant vector, got ${t} instead`);
        return;
      }
      case 'MatrixSelector':
        visit(e.selector);
        return;
      case 'VectorSelector':
        checkSelector(e.name, e.matchers, e.pos, fail);
        return;
      case 'AggregateExpr':
        expect(e.expr, 'vector', 'aggregation expression');
        if (e.op === 'topk' || e.op === 'bottomk' || e.op === 'quantile') expect(e.param!, 'scalar', 'aggregation parameter');
        if (e.op === 'count_values') expect(e.param!, 'string', 'aggregation parameter');
        return;
      case 'Call': {
        const sig = FUNCTIONS[e.func];
        if (sig === undefined) fail(e.pos, `unknown function with name ${JSON.stringify(e.func)}`);
        const n = sig.args.length;
        if (sig.variadic === 0) {
          if (n !== e.args.length) fail(e.pos, `expected ${n} argument(s) in call to ${JSON.stringify(e.func)}, got ${e.args.length}`);
        } else {
          if (n - 1 > e.args.length) fail(e.pos, `expected at least ${n - 1} argument(s) in call to ${JSON.stringify(e.func)}, got ${e.args.length}`);
          if (sig.variadic > 0 && n - 1 + sig.variadic < e.args.length) {
            fail(e.pos, `expected at most ${n - 1 + sig.variadic} argument(s) in call to ${JSON.stringify(e.func)}, got ${e.args.length}`);
          }
        }
        e.args.forEach((a, i) => {
          if (i >= n && sig.variadic === 0) return;
          expect(a, sig.args[Math.min(i, n - 1)], `call to function ${JSON.stringify(e.func)}`);
        });
        return;
      }
      case 'BinaryExpr': {
        visit(e.lhs);
        visit(e.rhs);
        const lt = type(e.lhs);
        const rt = type(e.rhs);
        const opPos = { start: e.lhs.pos.end, end: e.rhs.pos.start };
        if (e.returnBool && !COMPARISON.has(e.op)) fail(opPos, 'bool modifier can only be used on comparison operators');
        if (COMPARISON.has(e.op) && !e.returnBool && lt === 'scalar' && rt === 'scalar') fail(opPos, 'comparisons between scalars must use BOOL modifier');
        const m = e.matching;
        if (m !== undefined && SET.has(e.op) && m.card === 'one-to-one') m.card = 'many-to-many';
        if (m !== undefined && m.on) {
          for (const l of m.labels) if (m.include.includes(l)) fail(opPos, `label "${l}" must not occur in ON and GROUP clause at once`);
        }
        if (lt !== 'scalar' && lt !== 'vector') fail(e.lhs.pos, 'binary expression must contain only scalar and instant vector types');
        if (rt !== 'scalar' && rt !== 'vector') fail(e.rhs.pos, 'binary expression must contain only scalar and instant vector types');
        if (lt !== 'vector' || rt !== 'vector') {
          if (m !== undefined && m.labels.length > 0) fail(e.pos, 'vector matching only allowed between instant vectors');
          e.matching = undefined;
        } else if (m !== undefined && SET.has(e.op)) {
          if (m.card === 'one-to-many' || m.card === 'many-to-one') fail(e.pos, `no grouping allowed for "${e.op}" operation`);
          if (m.card !== 'many-to-many') fail(e.pos, 'set operations must always be many-to-many');
        }
        if ((lt === 'scalar' || rt === 'scalar') && SET.has(e.op)) fail(e.pos, `set operator "${e.op}" not allowed in binary scalar expression`);
        return;
      }
    }
  }

  visit(root);
}

function matchesEmpty(m: LabelMatcher): boolean {
  switch (m.type) {
    case '=':
      return m.value === '';
    case '!=':
      return m.value !== '';
    case '=~':
      return anchoredRegex(m.value).test('');
    case '!~':
      return !anchoredRegex(m.value).test('');
  }
}

function checkSelector(name: string, matchers: readonly LabelMatcher[], pos: PositionRange, fail: (pos: PositionRange, message: string) => never): void {
  if (name !== '') {
    for (const m of matchers.slice(0, -1)) {
      if (m.name === '__name__') fail(pos, `metric name must not be set twice: "${name}" or "${m.value}"`);
    }
    return;
  }
  if (!matchers.some((m) => !matchesEmpty(m))) fail(pos, 'vector selector must contain at least one non-empty matcher');
}
