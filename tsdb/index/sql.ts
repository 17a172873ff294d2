/**
 * The index speaks PostgreSQL's SQL through one small interface with two
 * drivers: PGlite (PostgreSQL compiled to WASM, embedded, a directory on
 * disk) and a real PostgreSQL server through `pg`.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { copyTemplate } from './pglite-template.js';

export interface Sql {
  /** Runs one statement with $1…$n parameters and returns its rows. */
  query<R extends object = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs `fn` in a transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** the embedded database's WASM memory, in bytes (allocated; it never shrinks); absent for a server */
  readonly embeddedMemory?: () => number;
}

/** How the embedded database is sized; a PostgreSQL server sizes itself. */
export interface PgliteOptions {
  /** PostgreSQL's shared_buffers, its page cache (e.g. '16MB'): PGlite's largest single use of memory */
  readonly sharedBuffers?: string;
}

/** The page cache of an embedded index when not configured (PostgreSQL's default is 128MB, resident once used). */
export const DEFAULT_PGLITE_SHARED_BUFFERS = '16MB';

/** `postgresql://…` selects a PostgreSQL server; anything else is a PGlite data directory. */
export async function openSql(target: string, options: PgliteOptions = {}): Promise<Sql> {
  if (/^postgres(ql)?:\/\//.test(target)) return openPostgres(target);
  return openPglite(target, options);
}

async function openPglite(dir: string, options: PgliteOptions): Promise<Sql> {
  mkdirSync(dir, { recursive: true });
  // a new directory starts as a copy of the template the build made, rather than from PGlite's initdb
  if (!existsSync(join(dir, 'PG_VERSION'))) copyTemplate(dir);
  const db = await PGlite.create(dir, { postgresqlconf: `shared_buffers = '${options.sharedBuffers ?? DEFAULT_PGLITE_SHARED_BUFFERS}'` });
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
    // not in PGlite's typings: the Emscripten module's memory, for diagnostics only
    embeddedMemory: () => (db as unknown as { mod?: { wasmMemory?: WebAssembly.Memory } }).mod?.wasmMemory?.buffer.byteLength ?? 0,
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
