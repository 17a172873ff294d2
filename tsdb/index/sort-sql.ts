/**
 * Sorting and keyset pagination shared by the listings: "key:dir" sort
 * specs checked against the target's columns, ORDER BY, and the condition
 * "after the marker row" exactly as oslo.db's paginate_query builds it (which
 * Gnocchi uses), so pages split where Gnocchi's split.
 */
import { type Column, type FilterTarget, type Params, timestampParam } from './filter-sql.js';
import { InvalidPagination } from './errors.js';

const SORT_DIRS = ['asc-nullsfirst', 'asc-nullslast', 'desc-nullsfirst', 'desc-nullslast'];

export interface Sort {
  readonly column: Column;
  readonly desc: boolean;
  readonly nulls: '' | 'nullsfirst' | 'nullslast';
}

export function parseSorts(sorts: readonly string[], uniqueKeys: readonly string[], target: FilterTarget): Sort[] {
  const out: Sort[] = [];
  const keys: string[] = [];
  for (const sort of sorts) {
    const i = sort.indexOf(':');
    const key = (i < 0 ? sort : sort.slice(0, i)).trim();
    const dir = i < 0 ? 'asc' : sort.slice(i + 1) || 'asc';
    const column = target.column(key);
    if (!column) throw new InvalidPagination(`Sort key supplied is invalid: ${key}`);
    const [main, nulls = ''] = dir.split(/-(.*)/s);
    if ((main !== 'asc' && main !== 'desc') || !['', 'nullsfirst', 'nullslast'].includes(nulls)) {
      throw new InvalidPagination(`Unknown sort direction, must be one of: ${SORT_DIRS.join(', ')}`);
    }
    keys.push(key);
    out.push({ column, desc: main === 'desc', nulls: nulls as Sort['nulls'] });
  }
  for (const key of uniqueKeys) if (!keys.includes(key)) out.push({ column: target.column(key)!, desc: false, nulls: '' });
  return out;
}

export function orderBy(s: Sort): string {
  const nulls = s.nulls === 'nullsfirst' ? `(${s.column.sql} IS NULL) DESC, ` : s.nulls === 'nullslast' ? `(${s.column.sql} IS NOT NULL) DESC, ` : '';
  return `${nulls}${s.column.sql} ${s.desc ? 'DESC' : 'ASC'}`;
}

/** oslo.db's paginate_query: rows strictly after the marker in the sort order (null marker values are skipped). */
export function afterMarker(sorts: readonly Sort[], values: readonly unknown[], p: Params): string {
  const CASTS: Record<Column['kind'], string> = { text: 'text', uuid: 'uuid', int: 'int8', float: 'float8', bool: 'boolean', timestamp: '' };
  const param = (i: number): string =>
    sorts[i].column.kind === 'timestamp' ? timestampParam(p, Number(values[i])) : p.add(values[i], CASTS[sorts[i].column.kind]);
  const criteria: string[] = [];
  for (let i = 0; i < sorts.length; i++) {
    if (values[i] === null || values[i] === undefined) continue;
    const parts: string[] = [];
    for (let j = 0; j < i; j++) if (values[j] !== null && values[j] !== undefined) parts.push(`${sorts[j].column.sql} = ${param(j)}`);
    const s = sorts[i];
    let crit = `${s.column.sql} ${s.desc ? '<' : '>'} ${param(i)}`;
    if ((s.desc && s.nulls === 'nullsfirst') || (!s.desc && s.nulls === 'nullslast')) crit = `(${crit} OR ${s.column.sql} IS NULL)`;
    parts.push(crit);
    criteria.push(`(${parts.join(' AND ')})`);
  }
  return criteria.length ? `(${criteria.join(' OR ')})` : 'FALSE';
}

/** SELECT list of the sort keys of a marker row (k0, k1, …); timestamps as µs numbers, since a Date would lose the microseconds. */
export function markerColumns(sorts: readonly Sort[]): string {
  return sorts.map((s, i) => `${s.column.kind === 'timestamp' ? `(extract(epoch from ${s.column.sql}) * 1000000)::float8` : s.column.sql} AS k${i}`).join(', ');
}
