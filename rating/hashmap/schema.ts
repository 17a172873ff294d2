/**
 * The rating tables (SCHEMA.md beside this file), migrated apart from the
 * index's and the alarms' with their own version table and lock.
 */
import { applyMigrations } from '../../tsdb/index/migrations.js';
import type { Sql } from '../../tsdb/index/sql.js';

const STEPS: readonly string[] = [
  `
  CREATE TABLE rating_module (
    name text PRIMARY KEY,
    enabled boolean NOT NULL,
    priority integer NOT NULL
  );
  -- listing order: CloudKitty lists rows in the order PostgreSQL stores them, where a
  -- changed row goes last; seq is that order, taken anew when a row changes
  CREATE SEQUENCE hashmap_seq;
  CREATE TABLE hashmap_service (
    service_id text PRIMARY KEY,
    name text NOT NULL UNIQUE,
    seq bigint NOT NULL DEFAULT nextval('hashmap_seq')
  );
  CREATE TABLE hashmap_field (
    field_id text PRIMARY KEY,
    service_id text NOT NULL REFERENCES hashmap_service (service_id) ON DELETE CASCADE,
    name text NOT NULL,
    seq bigint NOT NULL DEFAULT nextval('hashmap_seq'),
    UNIQUE (service_id, name)
  );
  CREATE TABLE hashmap_group (
    group_id text PRIMARY KEY,
    name text NOT NULL UNIQUE,
    seq bigint NOT NULL DEFAULT nextval('hashmap_seq')
  );
  -- costs and levels with CloudKitty's precision and scale
  CREATE TABLE hashmap_mapping (
    mapping_id text PRIMARY KEY,
    value text,
    cost numeric(40, 28) NOT NULL,
    map_type text NOT NULL CHECK (map_type IN ('flat', 'rate')),
    service_id text REFERENCES hashmap_service (service_id) ON DELETE CASCADE,
    field_id text REFERENCES hashmap_field (field_id) ON DELETE CASCADE,
    group_id text REFERENCES hashmap_group (group_id),
    tenant_id text,
    seq bigint NOT NULL DEFAULT nextval('hashmap_seq'),
    CHECK ((service_id IS NULL) <> (field_id IS NULL)),
    -- NULLs are distinct: rules without project may repeat a value, as in CloudKitty
    CONSTRAINT hashmap_mapping_field_value UNIQUE (value, field_id, tenant_id),
    CONSTRAINT hashmap_mapping_service_value UNIQUE (value, service_id, tenant_id)
  );
  CREATE INDEX hashmap_mapping_group ON hashmap_mapping (group_id);
  CREATE TABLE hashmap_threshold (
    threshold_id text PRIMARY KEY,
    level numeric(20, 8) NOT NULL,
    cost numeric(40, 28) NOT NULL,
    map_type text NOT NULL CHECK (map_type IN ('flat', 'rate')),
    service_id text REFERENCES hashmap_service (service_id) ON DELETE CASCADE,
    field_id text REFERENCES hashmap_field (field_id) ON DELETE CASCADE,
    group_id text REFERENCES hashmap_group (group_id),
    tenant_id text,
    seq bigint NOT NULL DEFAULT nextval('hashmap_seq'),
    CHECK ((service_id IS NULL) <> (field_id IS NULL)),
    CONSTRAINT hashmap_threshold_field_level UNIQUE (level, field_id, tenant_id),
    CONSTRAINT hashmap_threshold_service_level UNIQUE (level, service_id, tenant_id)
  );
  CREATE INDEX hashmap_threshold_group ON hashmap_threshold (group_id);
  `,
];

export function migrateRating(sql: Sql): Promise<number> {
  return applyMigrations(sql, { table: 'rating_schema_version', lockId: 7243003, steps: STEPS });
}
