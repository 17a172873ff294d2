/** PostgreSQL error codes (SQLSTATE) the index turns into domain errors; both drivers expose `code`. */
const code = (err: unknown): string | undefined =>
  typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;

export const isUniqueViolation = (err: unknown): boolean => code(err) === '23505';

/** A row is still referenced, or refers to nothing: 23503, or 23001 from ON DELETE RESTRICT on PostgreSQL 18 (PGlite). */
export const isForeignKeyViolation = (err: unknown): boolean => code(err) === '23503' || code(err) === '23001';

/** A CHECK constraint (e.g. started_at <= ended_at) refused the row. */
export const isCheckViolation = (err: unknown): boolean => code(err) === '23514';

/** The name of the constraint a row violated, when the server says. */
export const constraintOf = (err: unknown): string | undefined =>
  typeof err === 'object' && err !== null && 'constraint' in err ? String((err as { constraint: unknown }).constraint) : undefined;

/** The offending key value of a constraint violation ("Key (col)=(value) …" in the server's detail). */
export const keyValueOf = (err: unknown): string | undefined => {
  const detail = typeof err === 'object' && err !== null && 'detail' in err ? String((err as { detail: unknown }).detail) : '';
  return /^Key \([^)]*\)=\((.*)\) (?:is not present|already exists)/.exec(detail)?.[1];
};
