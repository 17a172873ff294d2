/**
 * The operations of /v1/aggregates as clients send them: a JSON tree or the
 * same tree as an S-expression string, "(aggregate mean (metric ID mean))".
 * Parsed, checked and normalised as Gnocchi's OperationsSchema does: numbers
 * in text become numbers, resample granularities become seconds, rolling
 * windows integers.
 */
import { CROSS_AGGREGATES, OPERATORS, type OperationNode } from '../operations.js';
import { InvalidInputError } from '../errors.js';
import { parseTimespanSeconds } from '../time.js';
import { HttpError, invalidInput } from './http-error.js';

/** Splits "(a (b c) 1)" into nested lists of atoms (pyparsing's nestedExpr). */
export function parseSExpression(text: string): unknown[] {
  const tokens = text.match(/\(|\)|"[^"]*"|'[^']*'|[^\s()]+/g) ?? [];
  let pos = 0;
  const list = (): unknown[] => {
    const out: unknown[] = [];
    while (pos < tokens.length) {
      const t = tokens[pos++];
      if (t === '(') out.push(list());
      else if (t === ')') return out;
      else out.push(/^["'].*["']$/.test(t) ? t.slice(1, -1) : t);
    }
    // pyparsing's wording, which clients may show
    throw new Error(`Expected ')', found end of text  (at char ${text.length}), (line:1, col:${text.length + 1})`);
  };
  if (tokens[pos++] !== '(') throw new Error("Expected '('");
  // like pyparsing without parseAll, text after the first complete expression is ignored
  return list();
}

const AGGREGATION_OPS = new Set(['aggregate', 'rolling', 'resample']);
const invalid = (reason: string): HttpError => invalidInput(`${reason} for dictionary value`, ['operations']);

function pythonTypeName(v: unknown): string {
  if (v === null) return 'NoneType';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'boolean') return 'bool';
  return 'dict';
}

function number(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

function subNode(v: unknown): OperationNode {
  const n = number(v);
  if (n !== null) return n;
  return node(v);
}

function node(v: unknown): OperationNode {
  if (!Array.isArray(v)) throw invalid(`Expected a tuple/list, got a ${pythonTypeName(v)}`);
  if (v.length === 0) throw invalid('Operation must not be empty');
  const op = v[0];
  if (typeof op !== 'string' || !OPERATORS.includes(op)) throw invalid(`'${String(op)}' operation invalid`);
  if (v.length < 2) throw invalid('Operation need at least one argument');
  if (op === 'metric') {
    const refs = Array.isArray(v[1]) ? v.slice(1) : [v.slice(1)];
    if (refs.length === 0 || refs.some((r) => !Array.isArray(r) || r.length !== 2 || typeof r[0] !== 'string' || typeof r[1] !== 'string')) {
      throw invalid(`'metric' operation invalid`);
    }
    return Array.isArray(v[1]) ? ['metric', ...(refs as string[][])] : ['metric', v[1] as string, v[2] as string];
  }
  if (AGGREGATION_OPS.has(op)) {
    const agg = v[1];
    if (typeof agg !== 'string' || !CROSS_AGGREGATES.includes(agg)) throw invalid(`'${op}' operation invalid`);
    if (op === 'aggregate') {
      if (v.length !== 3) throw invalid(`'${op}' operation invalid`);
      return [op, agg, node(v[2])];
    }
    if (v.length !== 4) throw invalid(`'${op}' operation invalid`);
    if (op === 'rolling') {
      const window = number(v[2]);
      if (window === null || !Number.isInteger(window) || window < 1) throw invalid(`'${op}' operation invalid`);
      return [op, agg, window, node(v[3])];
    }
    let seconds: number;
    try {
      seconds = parseTimespanSeconds('operations', v[2]);
    } catch (err) {
      if (err instanceof InvalidInputError) throw invalid(`'${op}' operation invalid`);
      throw err;
    }
    if (!(seconds > 0)) throw invalid(`'${op}' operation invalid`);
    return [op, agg, seconds, node(v[3])];
  }
  return [op, ...v.slice(1).map(subNode)];
}

/** The normalised tree, or Gnocchi's 400. */
export function parseOperations(value: unknown): OperationNode {
  let tree = value;
  if (typeof value === 'string') {
    try {
      tree = parseSExpression(value);
    } catch (err) {
      throw new HttpError(400, { cause: 'Invalid operations', reason: 'Fail to parse the operations string', detail: String((err as Error).message) });
    }
  }
  return node(tree);
}

/** The [metric, method] pairs a tree reads, in order of appearance, each once. */
export function extractReferences(tree: OperationNode): [string, string][] {
  const out: [string, string][] = [];
  const visit = (n: OperationNode): void => {
    if (!Array.isArray(n)) return;
    if (n[0] === 'metric') {
      const refs = Array.isArray(n[1]) ? (n.slice(1) as string[][]) : [n.slice(1) as string[]];
      for (const [m, a] of refs) if (!out.some(([x, y]) => x === m && y === a)) out.push([m, a]);
    } else n.slice(1).forEach(visit);
  };
  visit(tree);
  return out;
}
