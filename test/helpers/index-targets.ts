/**
 * The two places an index can live, for running one suite against both: a
 * PGlite directory, and a fresh database on the machine's PostgreSQL
 * (127.0.0.1:5432, trust auth; TALLY_TEST_PG_URL overrides the server).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface IndexTarget {
  readonly driver: 'pglite' | 'postgresql';
  /** a new, empty place; returns what Index.open takes */
  create(): Promise<string>;
  /** removes everything create() made */
  cleanup(): Promise<void>;
}

const SERVER = process.env.TALLY_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export function indexTargets(): IndexTarget[] {
  const dirs: string[] = [];
  const databases: string[] = [];
  return [
    {
      driver: 'pglite',
      create: async () => {
        const dir = mkdtempSync(join(tmpdir(), 'tally-index-'));
        dirs.push(dir);
        return join(dir, 'index');
      },
      cleanup: async () => {
        for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
      },
    },
    {
      driver: 'postgresql',
      create: async () => {
        const name = `tally_test_${randomBytes(6).toString('hex')}`;
        const admin = new pg.Client({ connectionString: SERVER });
        await admin.connect();
        try {
          await admin.query(`CREATE DATABASE ${name}`);
        } finally {
          await admin.end();
        }
        databases.push(name);
        const url = new URL(SERVER);
        url.pathname = `/${name}`;
        return url.toString();
      },
      cleanup: async () => {
        const admin = new pg.Client({ connectionString: SERVER });
        await admin.connect();
        try {
          for (const name of databases.splice(0)) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        } finally {
          await admin.end();
        }
      },
    },
  ];
}
