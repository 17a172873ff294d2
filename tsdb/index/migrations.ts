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
  `
  -- typed attributes live in a jsonb column of the resource; attributes holds their definitions,
  -- as json: unlike jsonb it keeps the order they were given in, which is the order Gnocchi shows them
  CREATE TABLE resource_type (
    name text PRIMARY KEY,
    attributes json NOT NULL DEFAULT '{}',
    state text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
  );
  INSERT INTO resource_type (name, state) VALUES ('generic', 'active');
  CREATE TABLE resource (
    id uuid PRIMARY KEY,
    type text NOT NULL REFERENCES resource_type (name) ON DELETE RESTRICT,
    creator text,
    started_at timestamptz NOT NULL,
    revision_start timestamptz NOT NULL,
    ended_at timestamptz,
    user_id text,
    project_id text,
    original_resource_id text NOT NULL,
    attributes jsonb NOT NULL DEFAULT '{}',
    CONSTRAINT ck_resource_started_before_ended CHECK (started_at <= ended_at)
  );
  CREATE INDEX resource_type_name ON resource (type);
  CREATE INDEX resource_project_id ON resource (project_id);
  CREATE INDEX resource_revision_start ON resource (revision_start, started_at, id);
  -- one row per superseded revision; the current one is the resource row itself (revision -1)
  CREATE TABLE resource_history (
    revision bigserial PRIMARY KEY,
    id uuid NOT NULL REFERENCES resource (id) ON DELETE CASCADE,
    type text NOT NULL REFERENCES resource_type (name) ON DELETE RESTRICT,
    creator text,
    started_at timestamptz NOT NULL,
    revision_start timestamptz NOT NULL,
    ended_at timestamptz,
    user_id text,
    project_id text,
    original_resource_id text NOT NULL,
    attributes jsonb NOT NULL DEFAULT '{}',
    revision_end timestamptz NOT NULL
  );
  CREATE INDEX resource_history_id ON resource_history (id);
  UPDATE metric SET resource_id = NULL WHERE resource_id IS NOT NULL;
  ALTER TABLE metric ADD CONSTRAINT fk_metric_resource_id FOREIGN KEY (resource_id) REFERENCES resource (id) ON DELETE SET NULL;
  CREATE INDEX metric_resource_id ON metric (resource_id);
  `,
  `
  -- events (Panko's role): one row per notification, traits in definition order
  CREATE TABLE event (
    message_id text PRIMARY KEY,
    event_type text NOT NULL,
    -- µs since the epoch, UTC
    generated bigint NOT NULL,
    -- the project_id trait, copied out for access control
    project_id text,
    -- [{"name", "type": string|integer|float|datetime, "value"}]; datetime values in µs
    traits jsonb NOT NULL,
    raw jsonb NOT NULL DEFAULT '{}'
  );
  CREATE INDEX event_generated ON event (generated, message_id);
  CREATE INDEX event_type_generated ON event (event_type, generated);
  CREATE INDEX event_project_id ON event (project_id);
  CREATE INDEX event_traits ON event USING gin (traits jsonb_path_ops);
  `,
];

export function migrate(sql: Sql): Promise<number> {
  return applyMigrations(sql, { table: 'schema_version', lockId: 7243001, steps: MIGRATIONS });
}

export interface MigrationSet {
  /** where the applied steps are recorded */
  readonly table: string;
  /** the advisory lock that serialises processes migrating one PostgreSQL */
  readonly lockId: number;
  /** SQL scripts, statements separated by `;` at a line end */
  readonly steps: readonly string[];
}

/** Applies the steps not yet recorded in `set.table`, each in its own transaction; returns the schema version. */
export async function applyMigrations(sql: Sql, set: MigrationSet): Promise<number> {
  await sql.query(`CREATE TABLE IF NOT EXISTS ${set.table} (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
  const [row] = await sql.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${set.table}`);
  const current = row?.v ?? 0;
  for (let v = current + 1; v <= set.steps.length; v++) {
    await sql.transaction(async (tx) => {
      // several processes may start at once against one PostgreSQL: one migrates, the others wait and skip
      await tx.query('SELECT pg_advisory_xact_lock($1)', [set.lockId]);
      const [done] = await tx.query(`SELECT 1 FROM ${set.table} WHERE version = $1`, [v]);
      if (done) return;
      for (const statement of set.steps[v - 1].split(/;\s*$/m).map((s) => s.trim()).filter(Boolean)) {
        await tx.query(statement);
      }
      await tx.query(`INSERT INTO ${set.table} (version) VALUES ($1)`, [v]);
    });
  }
  return set.steps.length;
}
