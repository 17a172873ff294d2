/**
 * PromQL text to the typed tree of ast.ts, with Prometheus's own grammar
 * (@prometheus-io/lezer-promql, the one its web UI uses). That grammar is
 * lenient where Prometheus's parser is strict and binds a few operators
 * differently; this file reads its tree the way Prometheus 2.42's parser
 * reads the text: postfix modifiers (offset, @, [range], [range:step])
 * bind tighter than any operator, unary minus binds like `*` (so `-1^2` is
 * -(1^2)), and syntax errors are reported as Prometheus words them.
 */
import { parser } from '@prometheus-io/lezer-promql';
import type { AggregateOp, AtModifier, BinaryOp, Expr, VectorMatching, VectorSelector } from './ast.js';
import { checkExpr } from './check.js';
import { ParseError } from './errors.js';
import { parseDuration, parseNumber, unquote } from './literals.js';
import { anchoredRegex } from './regex.js';
import type { LabelMatcher, MatchType } from './series-source.js';

type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

const BINARY_OPS: Record<string, BinaryOp> = {
  Pow: '^',
  Mul: '*',
  Div: '/',
  Mod: '%',
  Atan2: 'atan2',
  Add: '+',
  Sub: '-',
  Eql: '==',
  Gte: '>=',
  Gtr: '>',
  Lte: '<=',
  Lss: '<',
  Neq: '!=',
  And: 'and',
  Unless: 'unless',
  Or: 'or',
};

const MATCH_OPS: Record<string, MatchType> = { EqlSingle: '=', Neq: '!=', EqlRegex: '=~', NeqRegex: '!~' };

/** Parses and type-checks a PromQL expression; throws ParseError. */
export function parseExpr(query: string): Expr {
  if (query.trim() === '' || /^\s*(#[^\n]*\n?\s*)*$/.test(query)) throw new ParseError('no expression found in input', { start: 0, end: 0 }, query);
  const tree = parser.parse(query);
  const top = tree.topNode;
  reportSyntaxErrors(top, query);
  const exprNode = top.firstChild;
  if (exprNode === null) throw new ParseError('no expression found in input', { start: 0, end: 0 }, query);
  const expr = new TreeReader(query).expr(exprNode);
  checkExpr(expr, query);
  return expr;
}

/** A series selector of the series/labels endpoints (`match[]`): its matchers. */
export function parseMetricSelector(selector: string): LabelMatcher[] {
  const e = parseExpr(selector);
  if (e.type !== 'VectorSelector' || e.offsetMs !== 0 || e.at !== undefined) {
    throw new ParseError(`unexpected ${describeToken(selector, e.type === 'VectorSelector' ? e.pos.end : e.pos.start)}, expected a series selector`, e.pos, selector);
  }
  return [...e.matchers];
}

class TreeReader {
  constructor(private readonly q: string) {}

  private text(n: SyntaxNode): string {
    return this.q.slice(n.from, n.to);
  }

  private fail(n: { from: number; to: number }, message: string): never {
    throw new ParseError(message, { start: n.from, end: n.to }, this.q);
  }

  private children(n: SyntaxNode): SyntaxNode[] {
    const out: SyntaxNode[] = [];
    for (let c = n.firstChild; c !== null; c = c.nextSibling) out.push(c);
    return out;
  }

  expr(n: SyntaxNode): Expr {
    const pos = { start: n.from, end: n.to };
    switch (n.type.name) {
      case 'NumberLiteral': {
        const text = this.text(n).replace(/\s+/g, '');
        const v = parseNumber(text.replace(/^[+-]/, ''));
        if (v instanceof Error) this.fail(n, `error parsing number: ${v.message}`);
        return { type: 'NumberLiteral', value: text.startsWith('-') ? -v : v, pos };
      }
      case 'StringLiteral':
        return { type: 'StringLiteral', value: this.string(n), pos };
      case 'VectorSelector':
        return this.vectorSelector(n);
      case 'ParenExpr':
        return { type: 'ParenExpr', expr: this.expr(this.only(n)), pos };
      case 'UnaryExpr': {
        const [opNode, inner] = this.children(n);
        const op = this.text(opNode) === '-' ? '-' : '+';
        return this.unary(op, this.expr(inner), n.from, n.to);
      }
      case 'BinaryExpr':
        return this.binary(n);
      case 'FunctionCall': {
        const [id, body] = this.children(n);
        return { type: 'Call', func: this.text(id), args: this.children(body).map((c) => this.expr(c)), pos };
      }
      case 'AggregateExpr':
        return this.aggregate(n);
      case 'MatrixSelector': {
        const [inner, dur] = this.children(n);
        const rangeMs = this.duration(dur);
        return this.postfix(this.expr(inner), (e) => {
          if (e.type !== 'VectorSelector') this.fail({ from: dur.from - 1, to: n.to }, 'ranges only allowed for vector selectors');
          if (e.offsetMs !== 0) this.fail({ from: dur.from - 1, to: n.to }, 'no offset modifiers allowed before range');
          if (e.at !== undefined) this.fail({ from: dur.from - 1, to: n.to }, 'no @ modifiers allowed before range');
          return { type: 'MatrixSelector', selector: e, rangeMs, pos: { start: e.pos.start, end: n.to } };
        });
      }
      case 'SubqueryExpr': {
        const [inner, range, step] = this.children(n);
        const rangeMs = this.duration(range);
        const stepMs = step === undefined ? 0 : this.duration(step);
        return this.postfix(this.expr(inner), (e) => ({ type: 'SubqueryExpr', expr: e, rangeMs, stepMs, offsetMs: 0, at: undefined, pos: { start: e.pos.start, end: n.to } }));
      }
      case 'OffsetExpr': {
        const kids = this.children(n);
        const negative = kids.some((k) => k.type.name === 'Sub');
        const durNode = kids[kids.length - 1];
        if (durNode.type.name !== 'Duration') this.fail(durNode, `unexpected ${describeToken(this.q, durNode.from)} in offset, expected duration`);
        const ms = this.duration(durNode);
        return this.postfix(this.expr(kids[0]), (e) => {
          if (e.type === 'MatrixSelector') {
            if (e.selector.offsetMs !== 0) this.fail(n, 'offset may not be set multiple times');
            e.selector.offsetMs = negative ? -ms : ms;
            return { ...e, pos: { start: e.pos.start, end: n.to } };
          }
          if (e.type !== 'VectorSelector' && e.type !== 'SubqueryExpr') {
            this.fail(n, 'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery');
          }
          if (e.offsetMs !== 0) this.fail(n, 'offset may not be set multiple times');
          e.offsetMs = negative ? -ms : ms;
          return e;
        });
      }
      case 'StepInvariantExpr': {
        const kids = this.children(n);
        const last = kids[kids.length - 1];
        let at: AtModifier;
        if (last.type.name === 'NumberLiteral') {
          const text = this.text(last).replace(/\s+/g, '');
          const sec = parseNumber(text.replace(/^[+-]/, ''));
          if (sec instanceof Error) this.fail(last, `error parsing number: ${sec.message}`);
          const s = text.startsWith('-') ? -sec : sec;
          if (!Number.isFinite(s) || Math.abs(s) >= 9.223372036854776e18) this.fail(n, `timestamp out of bounds for @ modifier: ${s.toFixed(6)}`);
          at = { kind: 'time', ms: secondsToMs(s) };
        } else {
          at = { kind: this.text(last).toLowerCase() === 'start' ? 'start' : 'end' };
        }
        return this.postfix(this.expr(kids[0]), (e) => {
          const target = e.type === 'MatrixSelector' ? e.selector : e;
          if (target.type !== 'VectorSelector' && target.type !== 'SubqueryExpr') {
            this.fail(n, '@ modifier must be preceded by an instant vector selector or range vector selector or a subquery');
          }
          if (target.at !== undefined) this.fail(n, '@ <timestamp> may not be set multiple times');
          target.at = at;
          return e;
        });
      }
      default:
        this.fail(n, `unexpected ${describeToken(this.q, n.from)}`);
    }
  }

  private only(n: SyntaxNode): SyntaxNode {
    const c = n.firstChild;
    if (c === null) this.fail(n, 'unexpected end of input');
    return c;
  }

  /** -x folds into a number literal as Prometheus does; elsewhere it is an operator. */
  private unary(op: '-' | '+', inner: Expr, from: number, to: number): Expr {
    if (inner.type === 'NumberLiteral') return { type: 'NumberLiteral', value: op === '-' ? -inner.value : inner.value, pos: { start: from, end: to } };
    return { type: 'UnaryExpr', op, expr: inner, pos: { start: from, end: to } };
  }

  /**
   * Applies a postfix modifier the way Prometheus binds it: to the
   * right-most operand of an unparenthesised binary or unary expression.
   */
  private postfix(e: Expr, apply: (e: Expr) => Expr): Expr {
    if (e.type === 'BinaryExpr') {
      e.rhs = this.postfix(e.rhs, apply);
      return e;
    }
    if (e.type === 'UnaryExpr') {
      e.expr = this.postfix(e.expr, apply);
      return e;
    }
    return apply(e);
  }

  private binary(n: SyntaxNode): Expr {
    const kids = this.children(n);
    const lhsNode = kids[0];
    const opNode = kids[1];
    const rhsNode = kids[kids.length - 1];
    const op = BINARY_OPS[opNode.type.name];
    if (op === undefined) this.fail(opNode, `unexpected ${describeToken(this.q, opNode.from)}`);
    const returnBool = kids.some((k) => k.type.name === 'BoolModifier');
    const clause = kids.find((k) => k.type.name === 'MatchingModifierClause');
    let matching: VectorMatching | undefined;
    if (clause !== undefined) {
      const parts = this.children(clause);
      const on = parts[0].type.name === 'On';
      const groups = parts.filter((p) => p.type.name === 'GroupingLabels');
      const card = parts.some((p) => p.type.name === 'GroupLeft') ? 'many-to-one' : parts.some((p) => p.type.name === 'GroupRight') ? 'one-to-many' : 'one-to-one';
      matching = { card, on, labels: this.labelList(groups[0]), include: groups[1] === undefined ? [] : this.labelList(groups[1]) };
    } else {
      matching = { card: 'one-to-one', on: false, labels: [], include: [] };
    }
    const lhs = this.expr(lhsNode);
    const rhs = this.expr(rhsNode);
    const pos = { start: n.from, end: n.to };
    // the grammar reads `-1^2` as (-1)^2; Prometheus's unary minus binds looser than ^
    if (op === '^' && lhsNode.type.name === 'NumberLiteral' && /^[+-]/.test(this.text(lhsNode)) && lhs.type === 'NumberLiteral') {
      const sign = this.text(lhsNode)[0] as '-' | '+';
      const unsigned: Expr = { type: 'NumberLiteral', value: sign === '-' ? -lhs.value : lhs.value, pos: lhs.pos };
      const inner: Expr = { type: 'BinaryExpr', op, lhs: unsigned, rhs, returnBool, matching, pos };
      return this.unary(sign, inner, n.from, n.to);
    }
    return { type: 'BinaryExpr', op, lhs, rhs, returnBool, matching, pos };
  }

  private aggregate(n: SyntaxNode): Expr {
    const kids = this.children(n);
    const op = this.text(kids[0]).toLowerCase() as AggregateOp;
    const body = kids.find((k) => k.type.name === 'FunctionCallBody');
    const modifier = kids.find((k) => k.type.name === 'AggregateModifier');
    if (body === undefined) this.fail(n, 'unexpected end of input in aggregation');
    const args = this.children(body).map((c) => this.expr(c));
    let grouping: string[] = [];
    let without = false;
    if (modifier !== undefined) {
      const [kw, labels] = this.children(modifier);
      without = kw.type.name === 'Without';
      grouping = this.labelList(labels);
    }
    const pos = { start: n.from, end: n.to };
    if (args.length === 0) this.fail(n, 'no arguments for aggregate expression provided');
    const withParam = op === 'topk' || op === 'bottomk' || op === 'quantile' || op === 'count_values';
    const want = withParam ? 2 : 1;
    if (args.length !== want) this.fail(n, `wrong number of arguments for aggregate expression provided, expected ${want}, got ${args.length}`);
    return { type: 'AggregateExpr', op, expr: args[want - 1], param: withParam ? args[0] : undefined, grouping, without, pos };
  }

  private labelList(n: SyntaxNode): string[] {
    return this.children(n).map((c) => this.text(c));
  }

  private vectorSelector(n: SyntaxNode): VectorSelector {
    const kids = this.children(n);
    const id = kids.find((k) => k.type.name === 'Identifier');
    const list = kids.find((k) => k.type.name === 'LabelMatchers');
    const name = id === undefined ? '' : this.text(id);
    const matchers: LabelMatcher[] = [];
    if (list !== undefined) {
      for (const m of this.children(list)) {
        const [ln, op, value] = this.children(m);
        const type = MATCH_OPS[this.only(op).type.name];
        const v = this.string(value);
        if (type === '=~' || type === '!~') {
          try {
            anchoredRegex(v);
          } catch (err) {
            this.fail({ from: ln.from, to: value.to }, (err as Error).message);
          }
        }
        matchers.push({ type, name: this.text(ln), value: v });
      }
    }
    if (name !== '') matchers.push({ type: '=', name: '__name__', value: name });
    return { type: 'VectorSelector', name, matchers, offsetMs: 0, at: undefined, pos: { start: n.from, end: n.to } };
  }

  private string(n: SyntaxNode): string {
    const v = unquote(this.text(n));
    if (v instanceof Error) this.fail(n, v.message === 'unterminated quoted string' ? 'unterminated quoted string' : `error unquoting string ${JSON.stringify(this.text(n))}: ${v.message}`);
    return v;
  }

  private duration(n: SyntaxNode): number {
    const ms = parseDuration(this.text(n));
    if (ms instanceof Error) this.fail(n, ms.message);
    if (ms === 0) this.fail(n, 'duration must be greater than 0');
    return ms;
  }
}

/** Seconds (the @ modifier's unit) to milliseconds, rounding as Prometheus's timestamp.FromFloatSeconds. */
function secondsToMs(s: number): number {
  return Math.round(s * 1000);
}

function reportSyntaxErrors(top: SyntaxNode, query: string): void {
  let first: { from: number; to: number } | undefined;
  top.cursor().iterate((c) => {
    if (first !== undefined) return false;
    if (c.type.isError) {
      first = { from: c.from, to: c.to };
      return false;
    }
    return undefined;
  });
  if (first === undefined) return;
  const at = first.from;
  // an identifier followed by '(' that the grammar does not know as a function
  const call = /([a-zA-Z_][a-zA-Z0-9_:]*)\s*$/.exec(query.slice(0, at));
  if (call !== null && /^\s*\(/.test(query.slice(at)) && !/^(by|without|on|ignoring|group_left|group_right|bool|offset)$/i.test(call[1])) {
    throw new ParseError(`unknown function with name ${JSON.stringify(call[1])}`, { start: at - call[0].length, end: at }, query);
  }
  const unclosed = /^\s*(["'`])/.exec(query.slice(at));
  if (unclosed !== null && unquote(query.slice(at).trim()) instanceof Error && !query.slice(at + unclosed[0].length).includes(unclosed[1])) {
    throw new ParseError('unterminated quoted string', { start: at, end: query.length }, query);
  }
  throw new ParseError(`unexpected ${describeToken(query, at)}`, { start: skipSpace(query, at), end: query.length }, query);
}

function skipSpace(q: string, at: number): number {
  while (at < q.length && /\s/.test(q[at])) at++;
  return at;
}

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'start', 'end']);
const AGGREGATORS = new Set(['sum', 'avg', 'count', 'min', 'max', 'group', 'stddev', 'stdvar', 'topk', 'bottomk', 'count_values', 'quantile']);
const OPERATORS = ['==', '!=', '>=', '<=', '=~', '!~', '+', '-', '*', '/', '%', '^', '>', '<', '='];

/** How Prometheus's parser names the token at a position in its error messages. */
function describeToken(q: string, at: number): string {
  const i = skipSpace(q, at);
  if (i >= q.length) return 'end of input';
  const rest = q.slice(i);
  const word = /^[a-zA-Z_][a-zA-Z0-9_:]*/.exec(rest);
  if (word !== null) {
    const w = word[0].toLowerCase();
    if (AGGREGATORS.has(w)) return `<aggr:${w}>`;
    if (KEYWORDS.has(w)) return `<${w}>`;
    if (w === 'and' || w === 'or' || w === 'unless' || w === 'atan2') return `<op:${w}>`;
    return `identifier ${JSON.stringify(word[0])}`;
  }
  const num = /^(0x[0-9a-fA-F]+|\d*\.?\d+(?:[eE][+-]?\d+)?)([a-zA-Z]*)/.exec(rest);
  if (num !== null) return num[2] !== '' ? `duration ${JSON.stringify(num[0])}` : `number ${JSON.stringify(num[1])}`;
  const str = /^("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`[^`]*`)/.exec(rest);
  if (str !== null) return `string ${JSON.stringify(str[0])}`;
  for (const op of OPERATORS) if (rest.startsWith(op)) return op === '=' ? '"="' : `<op:${op}>`;
  const c = rest[0];
  if ('(){}[],:@'.includes(c)) return JSON.stringify(c);
  return `character: ${JSON.stringify(c)}`;
}
