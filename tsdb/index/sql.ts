/**
 * The index speaks PostgreSQL's SQL through one small interface with two
 * drivers: PGlite (PostgreSQL compiled to WASM, embedded, a directory on
 * disk) and a real PostgreSQL server through `pg`.
 */
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

export interface Sql {
  /** Runs one statement with $1…$n parameters and returns its rows. */
  query<R extends object = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs `fn` in a transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** `postgresql://…` selects a PostgreSQL server; anything else is a PGlite data directory. */
export async function openSql(target: string): Promise<Sql> {
  if (/^postgres(ql)?:\/\//.test(target)) return openPostgres(target);
  return openPglite(target);
}

async function openPglite(dir: string): Promise<Sql> {
  mkdirSync(dir, { recursive: true });
  const db = await PGlite.create(dir);
  // PGlite runs one statement at a time; transactions hold it for their whole duration.
  let queue: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };
  const query = async <R extends object>(text: string, params?: readonly unknown[]): Promise<R[]> =>
    (await db.query<R>(text, params as unknown[] | undefined)).rows;
  return {
    query: (text, params) => exclusive(() => query(text, params)),
    transaction: (fn) =>
      exclusive(() =>
        db.transaction(async (tx) => {
          const inner: Sql = {
            query: async <R extends object>(text: string, params?: readonly unknown[]) =>
              (await tx.query<R>(text, params as unknown[] | undefined)).rows,
            transaction: (nested) => nested(inner),
            close: async () => undefined,
          };
          return fn(inner);
        }),
      ),
    close: () => exclusive(() => db.close()),
  };
}

async function openPostgres(url: string): Promise<Sql> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // fail at start-up, not on the first request, when the server is unreachable
  (await pool.connect()).release();
  return {
    query: async <R extends object>(text: string, params?: readonly unknown[]) =>
      (await pool.query<R & pg.QueryResultRow>(text, params as unknown[] | undefined)).rows,
    transaction: async <T>(fn: (tx: Sql) => Promise<T>): Promise<T> => {
      const client = await pool.connect();
      const inner: Sql = {
        query: async <R extends object>(text: string, params?: readonly unknown[]) =>
          (await client.query<R & pg.QueryResultRow>(text, params as unknown[] | undefined)).rows,
        transaction: (nested) => nested(inner),
        close: async () => undefined,
      };
      try {
        await client.query('BEGIN');
        const result = await fn(inner);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
