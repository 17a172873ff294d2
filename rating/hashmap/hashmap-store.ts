/**
 * The hashmap rules in SQL (schema.ts, SCHEMA.md): what CloudKitty's
 * hashmap database API does, with its checks in its order and its errors
 * (errors.ts). Lists come in CloudKitty's order on PostgreSQL: creation
 * order, a changed row last.
 */
import { randomUUID } from 'node:crypto';
import { isUniqueViolation } from '../../tsdb/index/pg-errors.js';
import type { Sql } from '../../tsdb/index/sql.js';
import { Decimal } from '../decimal.js';
import * as E from './errors.js';
import type { HashMapField, HashMapGroup, HashMapMapping, HashMapRules, HashMapService, HashMapThreshold, MapType, RatingModuleState } from './model.js';

/** A new mapping; its cost already at the column's scale (28 digits after the point). */
export interface MappingInput {
  readonly value: string | null;
  readonly type: MapType;
  readonly cost: Decimal;
  readonly serviceId: string | null;
  readonly fieldId: string | null;
  readonly groupId: string | null;
  readonly tenantId: string | null;
}

/** A new threshold; `levelShown` is the level as the client gave it, for the duplicate's message. */
export interface ThresholdInput {
  readonly level: Decimal;
  readonly levelShown: string;
  readonly type: MapType;
  readonly cost: Decimal;
  readonly serviceId: string | null;
  readonly fieldId: string | null;
  readonly groupId: string | null;
  readonly tenantId: string | null;
}

/** What an update sets; a null groupId keeps the group, as in CloudKitty. */
export interface MappingUpdate {
  readonly value: string | null;
  readonly type: MapType;
  readonly cost: Decimal;
  readonly groupId: string | null;
  readonly tenantId: string | null;
}

export interface ThresholdUpdate {
  readonly level: Decimal;
  readonly type: MapType;
  readonly cost: Decimal;
  readonly groupId: string | null;
  readonly tenantId: string | null;
}

/**
 * Listing filters: the service's, else the field's, else the group's rules
 * (one of the three is needed); then, if given, only one project's
 * (`tenantId` null: only the rules without project); then only a group's, or
 * with `noGroup` only those without group.
 */
export interface RuleFilter {
  readonly serviceId?: string;
  readonly fieldId?: string;
  readonly groupId?: string;
  readonly noGroup?: boolean;
  readonly tenantId?: string | null;
}

interface RuleRow {
  id: string;
  value?: string | null;
  level?: string;
  cost: string;
  map_type: MapType;
  service_id: string | null;
  field_id: string | null;
  group_id: string | null;
  tenant_id: string | null;
}

const decimalOf = (text: string): Decimal => {
  const d = Decimal.parse(text);
  if (d === null) throw new Error(`not a decimal in the database: ${text}`);
  return d;
};

const mappingOf = (r: RuleRow): HashMapMapping => ({
  mappingId: r.id,
  value: r.value ?? null,
  type: r.map_type,
  cost: decimalOf(r.cost),
  serviceId: r.service_id,
  fieldId: r.field_id,
  groupId: r.group_id,
  tenantId: r.tenant_id,
});

const thresholdOf = (r: RuleRow): HashMapThreshold => ({
  thresholdId: r.id,
  level: decimalOf(r.level ?? ''),
  type: r.map_type,
  cost: decimalOf(r.cost),
  serviceId: r.service_id,
  fieldId: r.field_id,
  groupId: r.group_id,
  tenantId: r.tenant_id,
});

const MAPPING_COLUMNS = 'mapping_id AS id, value, cost::text AS cost, map_type, service_id, field_id, group_id, tenant_id';
const THRESHOLD_COLUMNS = 'threshold_id AS id, level::text AS level, cost::text AS cost, map_type, service_id, field_id, group_id, tenant_id';

/** Where services or groups live, and how their errors read. */
interface NamedKind {
  readonly table: 'hashmap_service' | 'hashmap_group';
  readonly idColumn: 'service_id' | 'group_id';
  readonly noSuch: (id: string) => Error;
  readonly exists: (name: string, id: string) => Error;
}

const SERVICES: NamedKind = { table: 'hashmap_service', idColumn: 'service_id', noSuch: E.noSuchService, exists: E.serviceExists };
const GROUPS: NamedKind = { table: 'hashmap_group', idColumn: 'group_id', noSuch: E.noSuchGroup, exists: E.groupExists };

/** Where a kind of rule lives, and how its update's errors read. */
interface RuleKind {
  readonly table: 'hashmap_mapping' | 'hashmap_threshold';
  readonly idColumn: 'mapping_id' | 'threshold_id';
  readonly columns: string;
  /** what a rule is keyed by besides its parent: a mapping's value, a threshold's level */
  readonly keyColumn: 'value' | 'level';
  readonly noSuch: (id: string) => Error;
  readonly hasNoGroup: (id: string) => Error;
  /** an update's duplicate */
  readonly exists: (tenantId: string | null, id: string) => Error;
}

const MAPPINGS: RuleKind = {
  table: 'hashmap_mapping',
  idColumn: 'mapping_id',
  columns: MAPPING_COLUMNS,
  keyColumn: 'value',
  noSuch: E.noSuchMapping,
  hasNoGroup: E.mappingHasNoGroup,
  // CloudKitty names the last attribute it set in this message: the project
  exists: (tenantId, id) => E.mappingExists(tenantId, 'Mapping_id', id, tenantId),
};

const THRESHOLDS: RuleKind = {
  table: 'hashmap_threshold',
  idColumn: 'threshold_id',
  columns: THRESHOLD_COLUMNS,
  keyColumn: 'level',
  noSuch: E.noSuchThreshold,
  hasNoGroup: E.thresholdHasNoGroup,
  exists: (tenantId, id) => E.thresholdExists(tenantId, 'Threshold_id', id, tenantId),
};

/** CloudKitty's defaults for a module it has no state for; hashmap is on here (see README.md). */
const MODULE_DEFAULTS: Readonly<Record<string, RatingModuleState>> = {
  hashmap: { name: 'hashmap', enabled: true, priority: 1 },
  noop: { name: 'noop', enabled: true, priority: 1 },
};

export class HashMapStore {
  constructor(private readonly sql: Sql) {}

  // -- rating modules

  async moduleState(name: string): Promise<RatingModuleState | null> {
    const fallback = MODULE_DEFAULTS[name];
    if (!fallback) return null;
    const [row] = await this.sql.query<{ enabled: boolean; priority: number }>('SELECT enabled, priority FROM rating_module WHERE name = $1', [name]);
    return row ? { name, enabled: row.enabled, priority: row.priority } : fallback;
  }

  async setModuleState(state: RatingModuleState): Promise<void> {
    await this.sql.query(
      'INSERT INTO rating_module (name, enabled, priority) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET enabled = excluded.enabled, priority = excluded.priority',
      [state.name, state.enabled, state.priority],
    );
  }

  // -- services

  async listServices(): Promise<HashMapService[]> {
    return (await this.listNamed(SERVICES)).map((r) => ({ serviceId: r.id, name: r.name }));
  }

  async getService(id: string): Promise<HashMapService> {
    return { serviceId: id, name: await this.nameOf(SERVICES, id) };
  }

  async createService(name: string): Promise<HashMapService> {
    return { serviceId: await this.createNamed(SERVICES, name), name };
  }

  /** Its fields and every rule of the service and of its fields go with it. */
  async deleteService(id: string): Promise<void> {
    const rows = await this.sql.query('DELETE FROM hashmap_service WHERE service_id = $1 RETURNING service_id', [id]);
    if (rows.length === 0) throw E.noSuchService(id);
  }

  // -- fields

  async listFields(serviceId: string): Promise<HashMapField[]> {
    const rows = await this.sql.query<{ field_id: string; name: string }>('SELECT field_id, name FROM hashmap_field WHERE service_id = $1 ORDER BY seq', [serviceId]);
    return rows.map((r) => ({ fieldId: r.field_id, serviceId, name: r.name }));
  }

  async getField(id: string): Promise<HashMapField> {
    const [r] = await this.sql.query<{ service_id: string; name: string }>('SELECT service_id, name FROM hashmap_field WHERE field_id = $1', [id]);
    if (!r) throw E.noSuchField(id);
    return { fieldId: id, serviceId: r.service_id, name: r.name };
  }

  async createField(serviceId: string, name: string): Promise<HashMapField> {
    await this.getService(serviceId).catch((err: unknown) => {
      throw err instanceof E.HashMapError ? E.asInvalid(err) : err;
    });
    const fieldId = randomUUID();
    try {
      await this.sql.query('INSERT INTO hashmap_field (field_id, service_id, name) VALUES ($1, $2, $3)', [fieldId, serviceId, name]);
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const [existing] = await this.sql.query<{ field_id: string }>('SELECT field_id FROM hashmap_field WHERE service_id = $1 AND name = $2', [serviceId, name]);
      throw E.fieldExists(name, existing?.field_id ?? '');
    }
    return { fieldId, serviceId, name };
  }

  /** Its rules go with it. */
  async deleteField(id: string): Promise<void> {
    const rows = await this.sql.query('DELETE FROM hashmap_field WHERE field_id = $1 RETURNING field_id', [id]);
    if (rows.length === 0) throw E.noSuchField(id);
  }

  // -- groups

  async listGroups(): Promise<HashMapGroup[]> {
    return (await this.listNamed(GROUPS)).map((r) => ({ groupId: r.id, name: r.name }));
  }

  async getGroup(id: string): Promise<HashMapGroup> {
    return { groupId: id, name: await this.nameOf(GROUPS, id) };
  }

  async createGroup(name: string): Promise<HashMapGroup> {
    return { groupId: await this.createNamed(GROUPS, name), name };
  }

  // -- services and groups alike: rows of a unique name

  private async listNamed(kind: NamedKind): Promise<{ id: string; name: string }[]> {
    return this.sql.query<{ id: string; name: string }>(`SELECT ${kind.idColumn} AS id, name FROM ${kind.table} ORDER BY seq`);
  }

  private async nameOf(kind: NamedKind, id: string): Promise<string> {
    const [r] = await this.sql.query<{ name: string }>(`SELECT name FROM ${kind.table} WHERE ${kind.idColumn} = $1`, [id]);
    if (!r) throw kind.noSuch(id);
    return r.name;
  }

  /** The new row's id; a name taken is CloudKitty's conflict, naming the row that has it. */
  private async createNamed(kind: NamedKind, name: string): Promise<string> {
    const id = randomUUID();
    try {
      await this.sql.query(`INSERT INTO ${kind.table} (${kind.idColumn}, name) VALUES ($1, $2)`, [id, name]);
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const [existing] = await this.sql.query<{ id: string }>(`SELECT ${kind.idColumn} AS id FROM ${kind.table} WHERE name = $1`, [name]);
      throw kind.exists(name, existing?.id ?? '');
    }
    return id;
  }

  /**
   * `recursive`: its mappings and thresholds go with it; otherwise they stay,
   * without group (and, changed, go last in listings).
   */
  async deleteGroup(id: string, recursive: boolean): Promise<void> {
    await this.sql.transaction(async (tx) => {
      const [g] = await tx.query('SELECT 1 FROM hashmap_group WHERE group_id = $1 FOR UPDATE', [id]);
      if (!g) throw E.noSuchGroup(id);
      for (const table of ['hashmap_mapping', 'hashmap_threshold']) {
        if (recursive) await tx.query(`DELETE FROM ${table} WHERE group_id = $1`, [id]);
        else {
          const key = table === 'hashmap_mapping' ? 'mapping_id' : 'threshold_id';
          const rows = await tx.query<{ id: string }>(`SELECT ${key} AS id FROM ${table} WHERE group_id = $1 ORDER BY seq`, [id]);
          for (const r of rows) await tx.query(`UPDATE ${table} SET group_id = NULL, seq = nextval('hashmap_seq') WHERE ${key} = $1`, [r.id]);
        }
      }
      await tx.query('DELETE FROM hashmap_group WHERE group_id = $1', [id]);
    });
  }

  // -- mappings and thresholds

  private async checkParents(input: { serviceId: string | null; fieldId: string | null; groupId: string | null }): Promise<void> {
    const asInvalid = (err: unknown): never => {
      throw err instanceof E.HashMapError ? E.asInvalid(err) : err;
    };
    if (input.fieldId !== null) await this.getField(input.fieldId).catch(asInvalid);
    if (input.serviceId !== null) await this.getService(input.serviceId).catch(asInvalid);
    if (input.groupId !== null) await this.getGroup(input.groupId).catch(asInvalid);
  }

  private static checkOneParent(input: { serviceId: string | null; fieldId: string | null }): void {
    if (input.fieldId && input.serviceId) throw E.invalid('You can only specify one parent.');
    if (!input.serviceId && !input.fieldId) throw E.invalid('You must specify one parent.');
  }

  private filterSql(f: RuleFilter, params: unknown[]): string {
    const where: string[] = [];
    if (f.serviceId !== undefined) where.push(`service_id = $${params.push(f.serviceId)}`);
    else if (f.fieldId !== undefined) where.push(`field_id = $${params.push(f.fieldId)}`);
    else if (f.groupId === undefined) throw E.invalid('You must specify either service_uuid, field_uuid or group_uuid.');
    if (f.tenantId !== undefined) where.push(f.tenantId === null ? 'tenant_id IS NULL' : `tenant_id = $${params.push(f.tenantId)}`);
    if (f.groupId !== undefined) where.push(`group_id = $${params.push(f.groupId)}`);
    else if (f.noGroup) where.push('group_id IS NULL');
    return where.join(' AND ');
  }

  async listMappings(filter: RuleFilter): Promise<HashMapMapping[]> {
    return (await this.ruleRows(MAPPINGS, filter)).map(mappingOf);
  }

  async getMapping(id: string): Promise<HashMapMapping> {
    return mappingOf(await this.ruleRow(MAPPINGS, id));
  }

  async createMapping(input: MappingInput): Promise<HashMapMapping> {
    HashMapStore.checkOneParent(input);
    if (input.value && input.serviceId) throw E.invalid("You can't specify a value and a service_id.");
    if (!input.value && input.fieldId) throw E.invalid('You must specify a value for a field mapping.');
    const id = await this.insertRule(MAPPINGS, input, input.value, (parentType, parentId) => E.mappingExists(input.value, parentType, parentId, input.tenantId));
    return this.getMapping(id);
  }

  async updateMapping(id: string, update: MappingUpdate): Promise<void> {
    await this.updateRule(MAPPINGS, id, update, {
      sql: update.value,
      same: (r) => (r.value ?? null) === update.value,
      check: (r) => {
        if (r.field_id && !update.value) throw E.invalid('You must specify a value for a field mapping.');
      },
    });
  }

  async deleteMapping(id: string): Promise<void> {
    await this.deleteRule(MAPPINGS, id);
  }

  async groupOfMapping(id: string): Promise<HashMapGroup> {
    return this.groupOfRule(MAPPINGS, id);
  }

  async listThresholds(filter: RuleFilter): Promise<HashMapThreshold[]> {
    return (await this.ruleRows(THRESHOLDS, filter)).map(thresholdOf);
  }

  async getThreshold(id: string): Promise<HashMapThreshold> {
    return thresholdOf(await this.ruleRow(THRESHOLDS, id));
  }

  async createThreshold(input: ThresholdInput): Promise<HashMapThreshold> {
    HashMapStore.checkOneParent(input);
    // CloudKitty leaves the project out of this message, and shows the level as the client typed it
    const id = await this.insertRule(THRESHOLDS, input, input.level.toPlain(), (parentType, parentId) => E.thresholdExists(input.levelShown, parentType, parentId, null));
    return this.getThreshold(id);
  }

  async updateThreshold(id: string, update: ThresholdUpdate): Promise<void> {
    await this.updateRule(THRESHOLDS, id, update, { sql: update.level.toPlain(), same: (r) => update.level.compare(decimalOf(r.level ?? '')) === 0 });
  }

  async deleteThreshold(id: string): Promise<void> {
    await this.deleteRule(THRESHOLDS, id);
  }

  async groupOfThreshold(id: string): Promise<HashMapGroup> {
    return this.groupOfRule(THRESHOLDS, id);
  }

  // -- mappings and thresholds alike

  private async ruleRows(kind: RuleKind, filter: RuleFilter): Promise<RuleRow[]> {
    const params: unknown[] = [];
    return this.sql.query<RuleRow>(`SELECT ${kind.columns} FROM ${kind.table} WHERE ${this.filterSql(filter, params)} ORDER BY seq`, params);
  }

  private async ruleRow(kind: RuleKind, id: string): Promise<RuleRow> {
    const [r] = await this.sql.query<RuleRow>(`SELECT ${kind.columns} FROM ${kind.table} WHERE ${kind.idColumn} = $1`, [id]);
    if (!r) throw kind.noSuch(id);
    return r;
  }

  /** A new rule after its parents' checks; `key` its value or level; a duplicate is `exists(parent type, parent id)`. */
  private async insertRule(kind: RuleKind, input: MappingInput | ThresholdInput, key: string | null, exists: (parentType: string, parentId: string) => Error): Promise<string> {
    await this.checkParents(input);
    const id = randomUUID();
    try {
      await this.sql.query(
        `INSERT INTO ${kind.table} (${kind.idColumn}, ${kind.keyColumn}, cost, map_type, service_id, field_id, group_id, tenant_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [id, key, input.cost.toPlain(), input.type, input.serviceId, input.fieldId, input.groupId, input.tenantId],
      );
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      throw input.fieldId ? exists('field', input.fieldId) : exists('service', input.serviceId ?? '');
    }
    return id;
  }

  private async deleteRule(kind: RuleKind, id: string): Promise<void> {
    const rows = await this.sql.query(`DELETE FROM ${kind.table} WHERE ${kind.idColumn} = $1 RETURNING ${kind.idColumn}`, [id]);
    if (rows.length === 0) throw kind.noSuch(id);
  }

  private async groupOfRule(kind: RuleKind, id: string): Promise<HashMapGroup> {
    const [r] = await this.sql.query<{ group_id: string; name: string }>(
      `SELECT g.group_id, g.name FROM ${kind.table} r JOIN hashmap_group g ON g.group_id = r.group_id WHERE r.${kind.idColumn} = $1`,
      [id],
    );
    if (!r) throw kind.hasNoGroup(id);
    return { groupId: r.group_id, name: r.name };
  }

  /**
   * A mapping's or a threshold's update, in one transaction: the row locked,
   * CloudKitty's checks, and nothing written (the row keeps its place in
   * lists) when nothing changes; `key` is the value or level it sets.
   */
  private async updateRule(
    kind: RuleKind,
    id: string,
    update: { readonly type: MapType; readonly cost: Decimal; readonly groupId: string | null; readonly tenantId: string | null },
    key: { readonly sql: string | null; readonly same: (row: RuleRow) => boolean; readonly check?: (row: RuleRow) => void },
  ): Promise<void> {
    try {
      await this.sql.transaction(async (tx) => {
        const [r] = await tx.query<RuleRow>(`SELECT ${kind.columns} FROM ${kind.table} WHERE ${kind.idColumn} = $1 FOR UPDATE`, [id]);
        if (!r) throw kind.noSuch(id);
        key.check?.(r);
        if (update.groupId) await this.getGroupIn(tx, update.groupId);
        const groupId = update.groupId || r.group_id;
        const changed = !key.same(r) || update.type !== r.map_type || update.cost.compare(decimalOf(r.cost)) !== 0 || groupId !== r.group_id || update.tenantId !== r.tenant_id;
        if (!changed) return;
        await tx.query(
          `UPDATE ${kind.table} SET ${kind.keyColumn} = $2, cost = $3, map_type = $4, group_id = $5, tenant_id = $6, seq = nextval('hashmap_seq') WHERE ${kind.idColumn} = $1`,
          [id, key.sql, update.cost.toPlain(), update.type, groupId, update.tenantId],
        );
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw kind.exists(update.tenantId, id);
      throw err;
    }
  }

  /** An unknown group in an update's body is a client error (400). */
  private async getGroupIn(tx: Sql, id: string): Promise<void> {
    const [g] = await tx.query('SELECT 1 FROM hashmap_group WHERE group_id = $1', [id]);
    if (!g) throw E.asInvalid(E.noSuchGroup(id));
  }

  /** Every rule, for pricing. */
  async rules(): Promise<HashMapRules> {
    return this.sql.transaction(async (tx) => {
      const services = await tx.query<{ service_id: string; name: string }>('SELECT service_id, name FROM hashmap_service ORDER BY seq');
      const fields = await tx.query<{ field_id: string; service_id: string; name: string }>('SELECT field_id, service_id, name FROM hashmap_field ORDER BY seq');
      const groups = await tx.query<{ group_id: string; name: string }>('SELECT group_id, name FROM hashmap_group ORDER BY seq');
      const mappings = await tx.query<RuleRow>(`SELECT ${MAPPING_COLUMNS} FROM hashmap_mapping ORDER BY seq`);
      const thresholds = await tx.query<RuleRow>(`SELECT ${THRESHOLD_COLUMNS} FROM hashmap_threshold ORDER BY seq`);
      return {
        services: services.map((r) => ({ serviceId: r.service_id, name: r.name })),
        fields: fields.map((r) => ({ fieldId: r.field_id, serviceId: r.service_id, name: r.name })),
        groups: groups.map((r) => ({ groupId: r.group_id, name: r.name })),
        mappings: mappings.map(mappingOf),
        thresholds: thresholds.map(thresholdOf),
      };
    });
  }
}
