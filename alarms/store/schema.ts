/**
 * The alarm tables (SCHEMA.md beside this file), migrated apart from the
 * index's so that `tally alarms` can keep them in a database of its own.
 */
import { applyMigrations } from '../../tsdb/index/migrations.js';
import type { Sql } from '../../tsdb/index/sql.js';

const STEPS: readonly string[] = [
  `
  -- json, not jsonb: rules and actions keep their keys in the order Aodh shows them
  CREATE TABLE alarm (
    alarm_id text PRIMARY KEY,
    type text NOT NULL,
    name text NOT NULL,
    description text NOT NULL,
    enabled boolean NOT NULL,
    user_id text,
    project_id text,
    state text NOT NULL,
    state_reason text NOT NULL,
    severity text NOT NULL,
    ok_actions json NOT NULL,
    alarm_actions json NOT NULL,
    insufficient_data_actions json NOT NULL,
    repeat_actions boolean NOT NULL,
    rule json NOT NULL,
    time_constraints json NOT NULL,
    -- µs since the epoch, UTC
    timestamp bigint NOT NULL,
    state_timestamp bigint NOT NULL,
    evaluate_timestamp bigint
  );
  CREATE INDEX alarm_project_id ON alarm (project_id);
  CREATE INDEX alarm_user_id ON alarm (user_id);
  CREATE INDEX alarm_type_enabled ON alarm (type, enabled);
  CREATE TABLE alarm_history (
    event_id text PRIMARY KEY,
    alarm_id text NOT NULL,
    type text NOT NULL,
    detail text NOT NULL,
    user_id text,
    project_id text,
    on_behalf_of text,
    severity text,
    timestamp bigint NOT NULL
  );
  CREATE INDEX alarm_history_alarm_id ON alarm_history (alarm_id, timestamp);
  CREATE TABLE alarm_quota (
    project_id text NOT NULL,
    resource text NOT NULL,
    "limit" integer NOT NULL,
    PRIMARY KEY (project_id, resource)
  );
  CREATE TABLE alarm_outbox (
    id bigserial PRIMARY KEY,
    alarm_id text NOT NULL,
    -- the alarm's project: history lines of delivery attempts are on its behalf
    project_id text,
    -- json, not jsonb: the webhook body keeps reason_data's keys in Aodh's order
    notification json NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    created bigint NOT NULL,
    next_attempt bigint NOT NULL,
    last_error text
  );
  CREATE INDEX alarm_outbox_next_attempt ON alarm_outbox (next_attempt);
  `,
];

export function migrateAlarms(sql: Sql): Promise<number> {
  return applyMigrations(sql, { table: 'alarm_schema_version', lockId: 7243002, steps: STEPS });
}
