/**
 * The parser on Prometheus's grammar: how operators and modifiers bind,
 * literals, and Prometheus's errors for what it rejects.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Expr } from '../../promql/ast.js';
import { ParseError } from '../../promql/errors.js';
import { parseExpr, parseMetricSelector } from '../../promql/parse.js';

/** A compact rendering of a tree, to compare structure. */
function show(e: Expr): string {
  switch (e.type) {
    case 'NumberLiteral':
      return String(e.value);
    case 'StringLiteral':
      return JSON.stringify(e.value);
    case 'VectorSelector': {
      const mods = `${e.offsetMs !== 0 ? ` offset ${e.offsetMs}` : ''}${e.at !== undefined ? ` @${e.at.kind === 'time' ? e.at.ms : e.at.kind}` : ''}`;
      return `${e.name || '{}'}${mods}`;
    }
    case 'MatrixSelector':
      return `${show(e.selector)}[${e.rangeMs}]`;
    case 'SubqueryExpr':
      return `(${show(e.expr)})[${e.rangeMs}:${e.stepMs}]${e.offsetMs !== 0 ? ` offset ${e.offsetMs}` : ''}`;
    case 'ParenExpr':
      return `(${show(e.expr)})`;
    case 'UnaryExpr':
      return `${e.op}(${show(e.expr)})`;
    case 'BinaryExpr':
      return `[${show(e.lhs)} ${e.op}${e.returnBool ? ' bool' : ''} ${show(e.rhs)}]`;
    case 'AggregateExpr':
      return `${e.op}${e.grouping.length > 0 || e.without ? `${e.without ? ' without' : ' by'}(${e.grouping.join(',')})` : ''}(${e.param ? `${show(e.param)}, ` : ''}${show(e.expr)})`;
    case 'Call':
      return `${e.func}(${e.args.map(show).join(', ')})`;
  }
}

const shows = (q: string): string => show(parseExpr(q));

function parseError(q: string): ParseError {
  try {
    parseExpr(q);
  } catch (err) {
    assert.ok(err instanceof ParseError, String(err));
    assert.equal(err.errorType, 'bad_data');
    return err;
  }
  assert.fail(`${q} parsed`);
}

describe('PromQL parser', () => {
  it('binds operators as Prometheus does', () => {
    assert.equal(shows('1 + 2 * 3'), '[1 + [2 * 3]]');
    assert.equal(shows('2 ^ 3 ^ 2'), '[2 ^ [3 ^ 2]]');
    assert.equal(shows('-1 ^ 2'), '-([1 ^ 2])');
    assert.equal(shows('2 * -1 ^ 2'), '[2 * -([1 ^ 2])]');
    assert.equal(shows('-a ^ 2'), '-([a ^ 2])');
    assert.equal(shows('- -1'), '1');
    assert.equal(shows('a or b and c unless d'), '[a or [[b and c] unless d]]');
    assert.equal(shows('a > bool b'), '[a > bool b]');
    assert.equal(shows('1 + 2 > bool 3'), '[[1 + 2] > bool 3]');
  });

  it('applies offset, @ and ranges to the operand next to them', () => {
    assert.equal(shows('a + b offset 5m'), '[a + b offset 300000]');
    assert.equal(shows('-a offset 1m'), '-(a offset 60000)');
    assert.equal(shows('a offset -5m @ 100'), 'a offset -300000 @100000');
    assert.equal(shows('a @ 1.5 offset 1m'), 'a offset 60000 @1500');
    assert.equal(shows('rate(a[5m] offset 1h)'), 'rate(a offset 3600000[300000])');
    assert.equal(shows('a @ start()'), 'a @start');
    assert.equal(shows('max_over_time(rate(a[5m])[30m:1m] offset 2m)'), 'max_over_time((rate(a[300000]))[1800000:60000] offset 120000)');
    assert.equal(shows('a[1h30m:]'), '(a)[5400000:0]');
  });

  it('reads aggregations with the clause before or after and their parameters', () => {
    assert.equal(shows('sum by (a, b) (x)'), 'sum by(a,b)(x)');
    assert.equal(shows('sum(x) without (a,)'), 'sum without(a)(x)');
    assert.equal(shows('SUM(x) BY (a)'), 'sum by(a)(x)');
    assert.equal(shows('topk(3, x)'), 'topk(3, x)');
    assert.equal(shows('count_values("v", x)'), 'count_values("v", x)');
    assert.equal(shows('quantile by (j) (0.9, x)'), 'quantile by(j)(0.9, x)');
  });

  it('reads vector matching modifiers', () => {
    const e = parseExpr('a * on(x, y) group_left(z) b');
    assert.equal(e.type, 'BinaryExpr');
    if (e.type !== 'BinaryExpr') return;
    assert.deepEqual(e.matching, { card: 'many-to-one', on: true, labels: ['x', 'y'], include: ['z'] });
    const s = parseExpr('a and ignoring(x) b');
    assert.ok(s.type === 'BinaryExpr' && s.matching?.card === 'many-to-many' && !s.matching.on);
    const g = parseExpr('a / ignoring(x) group_right b');
    assert.ok(g.type === 'BinaryExpr' && g.matching?.card === 'one-to-many');
  });

  it('reads literals: numbers, durations, strings', () => {
    const num = (q: string): number => {
      const e = parseExpr(q);
      assert.equal(e.type, 'NumberLiteral');
      return e.type === 'NumberLiteral' ? e.value : NaN;
    };
    assert.equal(num('0x1F'), 31);
    assert.equal(num('010'), 8);
    assert.equal(num('089'), 89);
    assert.equal(num('1e3'), 1000);
    assert.equal(num('.5'), 0.5);
    assert.equal(num('Inf'), Infinity);
    assert.equal(num('-inf'), -Infinity);
    assert.ok(Number.isNaN(num('NaN')));
    const str = (q: string): string => {
      const e = parseExpr(q);
      return e.type === 'StringLiteral' ? e.value : '';
    };
    assert.equal(str('"a\\tb\\x41\\u00e9\\101"'), 'a\tbAéA');
    assert.equal(str("'it''s'".replace("''", "\\'")), "it's");
    assert.equal(str('`raw\\n`'), 'raw\\n');
    const m = parseExpr('a[1h30m]');
    assert.ok(m.type === 'MatrixSelector' && m.rangeMs === 5_400_000);
    const d = parseExpr('a[1d]');
    assert.ok(d.type === 'MatrixSelector' && d.rangeMs === 86_400_000);
    const y = parseExpr('a[1y2w]');
    assert.ok(y.type === 'MatrixSelector' && y.rangeMs === (365 + 14) * 86_400_000);
  });

  it('builds matchers, the metric name last', () => {
    assert.deepEqual(parseMetricSelector('up{job="a",instance!~"b.*"}'), [
      { type: '=', name: 'job', value: 'a' },
      { type: '!~', name: 'instance', value: 'b.*' },
      { type: '=', name: '__name__', value: 'up' },
    ]);
    assert.throws(() => parseMetricSelector('sum(up)'), ParseError);
  });

  it("rejects what Prometheus rejects, with its wording and position", () => {
    assert.match(parseError('sum(').message, /^1:5: parse error: unexpected end of input/);
    assert.match(parseError('a b').message, /^1:3: parse error: unexpected identifier "b"/);
    assert.match(parseError('').message, /no expression found in input/);
    assert.match(parseError('foo(bar)').message, /unknown function with name "foo"/);
    assert.match(parseError('rate(a)').message, /expected type range vector in call to function "rate", got instant vector/);
    assert.match(parseError('1 < 2').message, /comparisons between scalars must use BOOL modifier/);
    assert.match(parseError('a and 1').message, /set operator "and" not allowed in binary scalar expression/);
    assert.match(parseError('{}').message, /vector selector must contain at least one non-empty matcher/);
    assert.match(parseError('{a=~".*"}').message, /at least one non-empty matcher/);
    assert.match(parseError('a{__name__="b"}').message, /metric name must not be set twice/);
    assert.match(parseError('sum(a) offset 5m').message, /offset modifier must be preceded by/);
    assert.match(parseError('a offset 5m offset 1m').message, /offset may not be set multiple times/);
    assert.match(parseError('a offset 5m [10m]').message, /no offset modifiers allowed before range/);
    assert.match(parseError('(a)[5m]').message, /ranges only allowed for vector selectors/);
    assert.match(parseError('a[0s]').message, /duration must be greater than 0/);
    assert.match(parseError('a{b=~"("}').message, /error parsing regexp/);
    assert.match(parseError('"abc').message, /unterminated quoted string/);
    assert.match(parseError('"\\q"').message, /error unquoting string/);
    assert.match(parseError('a + on(x) group_left(x) b').message, /must not occur in ON and GROUP clause at once/);
    assert.match(parseError('a and on(x) group_left b').message, /no grouping allowed for "and" operation/);
    assert.match(parseError('topk(a, b)').message, /expected type scalar in aggregation parameter, got instant vector/);
    assert.match(parseError('count_values(1, a)').message, /expected type string in aggregation parameter, got scalar/);
    assert.match(parseError('sum(a, b)').message, /wrong number of arguments for aggregate expression provided, expected 1, got 2/);
    assert.match(parseError('round(a, 1, 2)').message, /expected at most 2 argument\(s\) in call to "round", got 3/);
    assert.match(parseError('label_join(a, "b")').message, /expected at least 3 argument\(s\) in call to "label_join", got 2/);
    assert.match(parseError('a\n+ b c').message, /^2:5: parse error/);
  });
});
