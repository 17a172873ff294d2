/**
 * One field of a definition file (Ceilometer's declarative.Definition): a
 * JSONPath, a list of them (tried as `(a)|(b)`), a constant, or
 * `{fields, plugin}`. In single-value mode the first non-null match wins.
 */
import { type JsonPath, type Match, parseJsonPath, pathOf } from './jsonpath.js';
import { isMapping } from './python-values.js';
import { DefinitionError, type TraitPlugin, makePlugin } from './trait-plugins.js';

export class Field {
  private readonly path: JsonPath | null;
  private readonly constant: unknown;
  private readonly plugin: TraitPlugin | null = null;

  constructor(
    readonly name: string,
    cfg: unknown,
  ) {
    let fields: unknown = cfg;
    if (isMapping(cfg)) {
      if (!('fields' in cfg)) throw new DefinitionError(`The field 'fields' is required for ${name}`);
      if ('plugin' in cfg) {
        const p = cfg.plugin;
        const pluginName = typeof p === 'string' ? p : isMapping(p) ? p.name : undefined;
        if (typeof pluginName !== 'string') throw new DefinitionError(`Plugin specified, but no plugin name supplied for ${name}`);
        const params = isMapping(p) && isMapping(p.parameters) ? p.parameters : {};
        this.plugin = makePlugin(pluginName, params);
      }
      fields = cfg.fields;
    }
    if (Array.isArray(fields)) fields = fields.length === 1 ? fields[0] : fields.map((f) => `(${String(f)})`).join('|');
    if (typeof fields === 'number' && Number.isInteger(fields)) {
      this.path = null;
      this.constant = fields;
      return;
    }
    this.constant = undefined;
    try {
      this.path = parseJsonPath(String(fields));
    } catch (err) {
      throw new DefinitionError(`Parse error in JSONPath specification '${String(fields)}' for ${name}: ${(err as Error).message}`);
    }
  }

  /** The first non-null value (after the plugin), or null. */
  first(doc: unknown): unknown {
    if (this.path === null) return this.constant;
    if (this.plugin === null && this.path.lookup) return this.path.lookup(doc) ?? null;
    const matches = this.path.find(doc);
    if (this.plugin === null) {
      for (const m of matches) if (m.value !== null && m.value !== undefined) return m.value;
      return null;
    }
    const values = this.viaPlugin(matches.filter((m) => m.value !== null && m.value !== undefined));
    return values.length > 0 ? values[0] : null;
  }

  /** Every value, nulls included (meter `lookup` mode); a constant is returned as is. */
  all(doc: unknown): unknown {
    if (this.path === null) return this.constant;
    const matches = this.path.find(doc);
    if (this.plugin === null) return matches.map((m) => m.value);
    if (!this.plugin.supportsAllValues) throw new DefinitionError(`Plugin of ${this.name} doesn't allow to return multiple values`);
    return this.viaPlugin(matches);
  }

  private viaPlugin(matches: readonly Match[]): unknown[] {
    return this.plugin!.values(matches.map((m) => [pathOf(m), m.value] as const)).filter((v) => v !== null && v !== undefined);
  }
}
