/**
 * Predicates over measure values, the language of `/v1/search/metric`:
 * `{"and": [{">=": 10}, {"<": 20}]}`, `{"=": [{"%": 5}, 0]}` (value mod 5 is 0).
 * A comparison or arithmetic node with a number applies to the value; with
 * a pair it applies to the two evaluated operands. Semantics as Gnocchi's
 * MeasureQuery, which evaluates with Python's operators.
 */
export type MeasureQueryTree = number | { readonly [op: string]: MeasureQueryTree | readonly MeasureQueryTree[] };

type Evaluator = (value: number) => number | boolean;
type BinaryOp = (a: number | boolean, b: number | boolean) => number | boolean;

const n = Number;
const BINARY: Record<string, BinaryOp> = {};
const define = (names: string[], op: BinaryOp): void => {
  for (const name of names) BINARY[name] = op;
};
define(['=', '==', 'eq'], (a, b) => n(a) === n(b));
define(['<', 'lt'], (a, b) => n(a) < n(b));
define(['>', 'gt'], (a, b) => n(a) > n(b));
define(['<=', '≤', 'le'], (a, b) => n(a) <= n(b));
define(['>=', '≥', 'ge'], (a, b) => n(a) >= n(b));
define(['!=', '≠', 'ne'], (a, b) => n(a) !== n(b));
// Python's % takes the sign of the divisor
define(['%', 'mod'], (a, b) => ((n(a) % n(b)) + n(b)) % n(b));
define(['+', 'add'], (a, b) => n(a) + n(b));
define(['-', 'sub'], (a, b) => n(a) - n(b));
define(['*', '×', 'mul'], (a, b) => n(a) * n(b));
define(['/', '÷', 'div'], (a, b) => n(a) / n(b));
define(['**', '^', 'pow'], (a, b) => n(a) ** n(b));

const MULTIPLE: Record<string, 'any' | 'all'> = { or: 'any', '∨': 'any', and: 'all', '∧': 'all' };

export class InvalidMeasureQuery extends Error {}

/** Compiles the tree to a predicate; InvalidMeasureQuery for unknown operators or bad arity. */
export function compileMeasureQuery(tree: MeasureQueryTree): (value: number) => boolean {
  const ev = build(tree);
  return (value) => Boolean(ev(value));
}

function build(tree: MeasureQueryTree): Evaluator {
  if (typeof tree !== 'object' || tree === null) return () => tree;
  const [op, nodes] = Object.entries(tree)[0];
  const multiple = MULTIPLE[op];
  if (multiple) {
    const elements = (nodes as MeasureQueryTree[]).map(build);
    return multiple === 'any' ? (v) => elements.some((e) => e(v)) : (v) => elements.every((e) => e(v));
  }
  const binary = BINARY[op];
  if (!binary) throw new InvalidMeasureQuery(`Unknown operator ${op}`);
  if (!Array.isArray(nodes)) return (v) => binary(v, nodes as number);
  if (nodes.length !== 2) throw new InvalidMeasureQuery(`Binary operator ${op} needs 2 arguments, ${nodes.length} given`);
  const [a, b] = nodes.map(build);
  return (v) => binary(a(v), b(v));
}
