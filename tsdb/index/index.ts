/**
 * The resource/metric index: archive policies and their rules, resource
 * types, resources with their history, metrics and events, in SQL on PGlite or
 * PostgreSQL.
 */
import { ArchivePolicies } from './archive-policies.js';
import { Events } from './events.js';
import { Metrics } from './metrics.js';
import { migrate } from './migrations.js';
import { ResourceTypes } from './resource-types.js';
import { Resources } from './resources.js';
import { type PgliteOptions, type Sql, openSql } from './sql.js';

export class Index {
  readonly archivePolicies: ArchivePolicies;
  readonly metrics: Metrics;
  readonly resourceTypes: ResourceTypes;
  readonly resources: Resources;
  readonly events: Events;

  private constructor(readonly sql: Sql) {
    this.events = new Events(sql);
    this.archivePolicies = new ArchivePolicies(sql);
    this.metrics = new Metrics(sql);
    this.resourceTypes = new ResourceTypes(sql);
    this.resources = new Resources(
      sql,
      (name) => this.resourceTypes.get(name),
      () => this.metrics.forget(),
    );
  }

  /**
   * Opens (and migrates) the index at `target`: a `postgresql://` URL or a
   * PGlite directory. With `defaults`, Gnocchi's and Ceilometer's archive
   * policies are created if missing, as `gnocchi-upgrade` does.
   */
  static async open(target: string, options: { defaults?: boolean; pglite?: PgliteOptions } = {}): Promise<Index> {
    const sql = await openSql(target, options.pglite);
    try {
      await migrate(sql);
      const index = new Index(sql);
      if (options.defaults ?? true) await index.archivePolicies.createDefaults();
      return index;
    } catch (err) {
      await sql.close();
      throw err;
    }
  }

  close(): Promise<void> {
    return this.sql.close();
  }
}
