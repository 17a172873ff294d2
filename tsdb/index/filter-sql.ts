/**
 * The search language (`{"and": [{"=": {"project_id": "p"}}, {">": {"started_at": "2024-01-01"}}]}`)
 * compiled to a SQL condition with parameters. The tree is already validated
 * in shape by the API; here fields are resolved against the target's columns
 * and values converted to the column's type, with Gnocchi's errors for
 * unknown fields and unconvertible values (its QueryTransformer).
 */
import { InvalidInputError } from '../errors.js';
import { parseTimespanSeconds, parseTimestamp } from '../time.js';
import { QueryValueError } from './errors.js';
import { parseUuid } from './resource-type-schema.js';

export type ColumnKind = 'text' | 'uuid' | 'timestamp' | 'int' | 'float' | 'bool';

export interface Column {
  /** SQL expression of the column */
  readonly sql: string;
  readonly kind: ColumnKind;
}

export interface FilterTarget {
  /** the column a field names, or undefined (the caller's "has no attribute" error) */
  column(field: string): Column | undefined;
  /** thrown for a field that is not a column */
  unknownField(field: string): Error;
}

export type FilterTree = Readonly<Record<string, unknown>>;

/** Positional parameters ($1…$n) collected while SQL text is built. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown, cast: string): string {
    this.values.push(value);
    return `$${this.values.length}::${cast}`;
  }
}

const COMPARISONS: Record<string, string> = {
  '=': '=', '==': '=', eq: '=',
  '<': '<', lt: '<',
  '>': '>', gt: '>',
  '<=': '<=', '≤': '<=', le: '<=',
  '>=': '>=', '≥': '>=', ge: '>=',
  '!=': '<>', '≠': '<>', ne: '<>',
};
const CONJUNCTIONS: Record<string, string> = { and: 'AND', '∧': 'AND', or: 'OR', '∨': 'OR' };

/** A value as Python's str() shows it in Gnocchi's messages. */
export function pyStr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (Array.isArray(v)) return `[${v.map((x) => (typeof x === 'string' ? `'${x}'` : pyStr(x))).join(', ')}]`;
  return String(v);
}

/** SQL for a timestamp held as integer microseconds since the epoch (exact, unlike to_timestamp(float)). */
export const timestampParam = (params: Params, us: number): string => `('epoch'::timestamptz + ${params.add(us, 'int8')} * interval '1 microsecond')`;

/** The value converted to the column's type, as a parameter; QueryValueError when it cannot be. */
function valueParam(params: Params, column: Column, field: string, value: unknown): string {
  const bad = (): QueryValueError => new QueryValueError(pyStr(value), field);
  switch (column.kind) {
    case 'text':
      return params.add(pyStr(value), 'text');
    case 'uuid':
      try {
        return params.add(parseUuid(value), 'uuid');
      } catch {
        throw bad();
      }
    case 'timestamp':
      try {
        return timestampParam(params, parseTimestamp(field, value));
      } catch {
        throw bad();
      }
    case 'int': {
      const n = typeof value === 'boolean' ? Number(value) : typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isFinite(n)) throw bad();
      return params.add(Math.trunc(n), 'int8');
    }
    case 'float': {
      const n = typeof value === 'boolean' ? Number(value) : typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n !== 'number' || Number.isNaN(n)) throw bad();
      return params.add(n, 'float8');
    }
    case 'bool':
      if (typeof value === 'boolean') return params.add(value, 'boolean');
      if (typeof value === 'string' && /^(true|false)$/i.test(value)) return params.add(value.toLowerCase() === 'true', 'boolean');
      throw bad();
  }
}

export function compileFilter(tree: FilterTree, target: FilterTarget, params: Params): string {
  const [op, node] = Object.entries(tree)[0] ?? [];
  if (op === undefined) return 'TRUE';
  const conj = CONJUNCTIONS[op];
  if (conj) return `(${(node as FilterTree[]).map((n) => compileFilter(n, target, params)).join(` ${conj} `)})`;
  if (op === 'not') return `(NOT ${compileFilter(node as FilterTree, target, params)})`;
  const [field, value] = Object.entries(node as Record<string, unknown>)[0];
  return binary(op, field, value, target, params);
}

function binary(op: string, field: string, value: unknown, target: FilterTarget, params: Params): string {
  if (field === 'lifespan') {
    let seconds: number;
    try {
      seconds = parseTimespanSeconds(field, value);
    } catch (err) {
      if (err instanceof InvalidInputError) throw new QueryValueError(pyStr(value), field);
      throw err;
    }
    const sqlOp = COMPARISONS[op];
    if (!sqlOp) throw new QueryValueError(pyStr(value), field);
    const lifespan = target.column('ended_at')!.sql + ' - ' + target.column('started_at')!.sql;
    return `((${lifespan}) ${sqlOp} (${params.add(seconds, 'float8')} * interval '1 second'))`;
  }
  if (field === 'created_by_user_id' || field === 'created_by_project_id') {
    // the creator is "user_id:project_id"
    const pattern = field === 'created_by_user_id' ? `${pyStr(value)}:%` : `%:${pyStr(value)}`;
    const creator = target.column('creator')!.sql;
    const like = `(${creator} LIKE ${params.add(pattern, 'text')})`;
    if (op === 'like' || COMPARISONS[op] === '=') return like;
    if (COMPARISONS[op] === '<>') return `(NOT ${like})`;
    throw new QueryValueError(pyStr(value), field);
  }
  const column = target.column(field);
  if (!column) throw target.unknownField(field);
  if (op === 'in') {
    const list = value as unknown[];
    if (list.length === 0) return 'FALSE';
    return `(${column.sql} IN (${list.map((v) => valueParam(params, column, field, v)).join(', ')}))`;
  }
  if (op === 'like') {
    if (value === null) return `(${column.sql} LIKE NULL)`;
    return `(${column.sql}::text LIKE ${params.add(pyStr(value), 'text')})`;
  }
  const sqlOp = COMPARISONS[op];
  if (value === null) {
    if (sqlOp === '=') return `(${column.sql} IS NULL)`;
    if (sqlOp === '<>') return `(${column.sql} IS NOT NULL)`;
    return 'FALSE';
  }
  const rhs = valueParam(params, column, field, value);
  // as Gnocchi: "field != v" also matches rows where the field is null
  if (sqlOp === '<>') return `(${column.sql} IS NULL OR ${column.sql} <> ${rhs})`;
  return `(${column.sql} ${sqlOp} ${rhs})`;
}
