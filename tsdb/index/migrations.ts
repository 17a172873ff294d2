/**
 * The index schema, as ordered migrations. Each runs once, in a transaction,
 * and is recorded in `schema_version`. Append; never edit a released step.
 */
import type { Sql } from './sql.js';

const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE archive_policy (
    name text PRIMARY KEY,
    back_window integer NOT NULL CHECK (back_window >= 0),
    -- [{ "granularity": µs, "points": n|null, "timespan": µs|null }], finest first
    definition jsonb NOT NULL,
    -- the resolved method set, sorted
    aggregation_methods jsonb NOT NULL
  );
  CREATE TABLE archive_policy_rule (
    name text PRIMARY KEY,
    metric_pattern text NOT NULL,
    archive_policy_name text NOT NULL REFERENCES archive_policy (name) ON DELETE RESTRICT
  );
  CREATE TABLE metric (
    id uuid PRIMARY KEY,
    archive_policy_name text NOT NULL REFERENCES archive_policy (name) ON DELETE RESTRICT,
    creator text NOT NULL,
    resource_id uuid,
    name text,
    unit text,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (resource_id, name)
  );
  CREATE INDEX metric_archive_policy_name ON metric (archive_policy_name);
  `,
];

export async function migrate(sql: Sql): Promise<number> {
  await sql.query('CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
  const [row] = await sql.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_version');
  const current = row?.v ?? 0;
  for (let v = current + 1; v <= MIGRATIONS.length; v++) {
    await sql.transaction(async (tx) => {
      // several processes may start at once against one PostgreSQL: one migrates, the others wait and skip
      await tx.query('SELECT pg_advisory_xact_lock(7243001)');
      const [done] = await tx.query('SELECT 1 FROM schema_version WHERE version = $1', [v]);
      if (done) return;
      for (const statement of MIGRATIONS[v - 1].split(/;\s*$/m).map((s) => s.trim()).filter(Boolean)) {
        await tx.query(statement);
      }
      await tx.query('INSERT INTO schema_version (version) VALUES ($1)', [v]);
    });
  }
  return MIGRATIONS.length;
}
