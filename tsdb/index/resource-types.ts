/** Resource types in the index. `generic` always exists and cannot be deleted. */
import { NoSuchResourceType, ResourceTypeAlreadyExists, ResourceTypeInUse } from './errors.js';
import { isForeignKeyViolation, isUniqueViolation } from './pg-errors.js';
import type { AttributeDefinition, AttributeValue, ResourceType, ResourceTypeState } from './resource-type-schema.js';
import type { Sql } from './sql.js';

interface ResourceTypeRow {
  name: string;
  attributes: Record<string, AttributeDefinition>;
  state: ResourceTypeState;
}

const fromRow = (r: ResourceTypeRow): ResourceType => ({ name: r.name, attributes: r.attributes, state: r.state });

export interface NewAttribute {
  readonly name: string;
  readonly definition: AttributeDefinition;
  /** the value existing resources (and their history) take */
  readonly fill?: AttributeValue;
}

export class ResourceTypes {
  constructor(private readonly sql: Sql) {}

  async list(): Promise<ResourceType[]> {
    return (await this.sql.query<ResourceTypeRow>('SELECT name, attributes, state FROM resource_type ORDER BY name COLLATE "C"')).map(fromRow);
  }

  async get(name: string): Promise<ResourceType> {
    const [row] = await this.sql.query<ResourceTypeRow>('SELECT name, attributes, state FROM resource_type WHERE name = $1', [name]);
    if (!row) throw new NoSuchResourceType(name);
    return fromRow(row);
  }

  async create(name: string, attributes: Readonly<Record<string, AttributeDefinition>>): Promise<ResourceType> {
    try {
      await this.sql.query("INSERT INTO resource_type (name, attributes, state) VALUES ($1, $2, 'active')", [name, JSON.stringify(attributes)]);
    } catch (err) {
      if (isUniqueViolation(err)) throw new ResourceTypeAlreadyExists(name);
      throw err;
    }
    return { name, attributes, state: 'active' };
  }

  /** Adds and removes attributes, filling the added ones in every existing resource and revision. */
  async update(name: string, add: readonly NewAttribute[], remove: readonly string[]): Promise<ResourceType> {
    return this.sql.transaction(async (tx) => {
      const [row] = await tx.query<ResourceTypeRow>('SELECT name, attributes, state FROM resource_type WHERE name = $1 FOR UPDATE', [name]);
      if (!row) throw new NoSuchResourceType(name);
      const attributes: Record<string, AttributeDefinition> = {};
      for (const [k, v] of Object.entries(row.attributes)) if (!remove.includes(k)) attributes[k] = v;
      const fills: Record<string, AttributeValue> = {};
      for (const a of add) {
        attributes[a.name] = a.definition;
        if (a.fill !== undefined) fills[a.name] = a.fill;
      }
      await tx.query('UPDATE resource_type SET attributes = $2, updated_at = now() WHERE name = $1', [name, JSON.stringify(attributes)]);
      const removed = [...remove, ...add.map((a) => a.name)];
      for (const table of ['resource', 'resource_history']) {
        await tx.query(`UPDATE ${table} SET attributes = (attributes - $2::text[]) || $3::jsonb WHERE type = $1`, [name, removed, JSON.stringify(fills)]);
      }
      return { name, attributes, state: row.state };
    });
  }

  async delete(name: string): Promise<void> {
    if (name === 'generic') throw new ResourceTypeInUse(name);
    let rows: unknown[];
    try {
      rows = await this.sql.query('DELETE FROM resource_type WHERE name = $1 RETURNING name', [name]);
    } catch (err) {
      if (isForeignKeyViolation(err)) throw new ResourceTypeInUse(name);
      throw err;
    }
    if (rows.length === 0) throw new NoSuchResourceType(name);
  }
}
