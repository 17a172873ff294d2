/** The JSON shapes of RFC 7047 that the client and its callers exchange. */

export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/** One operation of a `transact` (RFC 7047 §5.2): `{"op": "select", "table": …, "where": […], "columns": […]}`, … */
export interface OvsdbOperation {
  readonly op: string;
  readonly [member: string]: Json;
}

/** A row as `select` returns it: column name → datum (RFC 7047 §5.1) */
export type OvsdbRow = { readonly [column: string]: Json };

/** One operation's result; `rows` for `select` */
export interface OvsdbOperationResult {
  readonly rows?: readonly OvsdbRow[];
  readonly count?: number;
  readonly uuid?: Json;
  readonly [member: string]: Json | undefined;
}

export function isObject(value: unknown): value is { readonly [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
