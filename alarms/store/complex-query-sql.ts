/**
 * Aodh's complex query language (`POST /v2/query/alarms`,
 * `/v2/query/alarms/history`) compiled to SQL. The API has validated the
 * tree's shape and fields and turned timestamps into µs; here it becomes a
 * condition with parameters.
 */
import type { Params } from '../../tsdb/index/filter-sql.js';

export type ComplexValue = string | number | boolean;

/** A validated tree: ops lower-cased, fields are column names. */
export type ComplexFilter =
  | { readonly and: readonly ComplexFilter[] }
  | { readonly or: readonly ComplexFilter[] }
  | { readonly not: ComplexFilter }
  | { readonly in: Readonly<Record<string, readonly ComplexValue[]>> }
  | Readonly<Record<string, Readonly<Record<string, ComplexValue>>>>;

export type OrderBy = readonly (readonly [string, 'asc' | 'desc'])[];

const COMPARISONS: Record<string, string> = { '=': '=', '!=': '<>', '<': '<', '>': '>', '<=': '<=', '=<': '<=', '>=': '>=', '=>': '>=', '=~': '~' };

/** Columns stored as JSON: compared through their text. */
const JSON_COLUMNS = new Set(['rule', 'time_constraints', 'ok_actions', 'alarm_actions', 'insufficient_data_actions']);

function operand(field: string, value: ComplexValue, p: Params): [string, string] {
  const column = JSON_COLUMNS.has(field) ? `${field}::text` : field;
  if (typeof value === 'boolean') return [column, p.add(value, 'boolean')];
  if (typeof value === 'number') return [column, p.add(value, Number.isInteger(value) ? 'int8' : 'float8')];
  return [column, p.add(value, 'text')];
}

export function compileComplexFilter(tree: ComplexFilter, p: Params): string {
  const [op, arg] = Object.entries(tree)[0] as [string, unknown];
  if (op === 'and' || op === 'or') return `(${(arg as ComplexFilter[]).map((t) => compileComplexFilter(t, p)).join(op === 'and' ? ' AND ' : ' OR ')})`;
  if (op === 'not') return `NOT (${compileComplexFilter(arg as ComplexFilter, p)})`;
  const [field, value] = Object.entries(arg as Record<string, unknown>)[0];
  if (op === 'in') {
    const values = value as ComplexValue[];
    return `(${values.map((v) => operand(field, v, p)).map(([c, v]) => `${c} = ${v}`).join(' OR ')})`;
  }
  const [column, param] = operand(field, value as ComplexValue, p);
  return `${column} ${COMPARISONS[op]} ${param}`;
}
