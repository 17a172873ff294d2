/**
 * The hashmap module's price of a usage point, computed as CloudKitty 17's
 * `HashMap.process` computes it.
 *
 * Rules are gathered per service name, then per group (by group name; rules
 * without a group share one), for one project: the rules without project
 * first, then the project's own, which replace the shared rule with the same
 * key in the same group (a service's rule in that group, a field's rule for
 * the same value, a threshold at the same level). A point is then priced
 * group by group:
 * - flat mappings: the largest one that applies is the group's flat cost;
 * - rate mappings: every one that applies multiplies the group's rate;
 * - thresholds: of those whose level the quantity (service threshold) or the
 *   field's value (field threshold) reaches, the highest level is kept; a
 *   field threshold adds to the flat cost (flat) or multiplies the rate
 *   (rate), a service threshold adds to (flat) or multiplies (rate) the
 *   group's result;
 * - the group's result is rate × flat × quantity: a group with rates but no
 *   flat mapping costs nothing;
 * and the point's price is the sum of its groups' results. Arithmetic is
 * Python's decimal arithmetic (28 significant digits), in CloudKitty's
 * order, so that prices agree to the last digit.
 */
import { Decimal } from '../decimal.js';
import type { HashMapRules, MapType } from './model.js';

/** The group of the rules without a group (CloudKitty's name for it). */
const DEFAULT_GROUP = '_DEFAULT_';

interface Rule {
  readonly type: MapType;
  readonly cost: Decimal;
}

interface LeveledRule extends Rule {
  readonly level: Decimal;
}

/**
 * One service's or one field's rules. Maps keep the order rules were first
 * met in, and a project's rule replaces the shared one in place, as Python
 * dicts do: the order decides the order of the multiplications.
 */
interface Scope {
  /** group → key → rule; the key is the field's value, or '' for a service's own mapping */
  readonly mappings: Map<string, Map<string, Rule>>;
  /** group → level → rule */
  readonly thresholds: Map<string, Map<string, LeveledRule>>;
}

interface ServiceScope extends Scope {
  /** by field name; null when the service has no field */
  fields: Map<string, Scope> | null;
}

/** The rules of every service as they apply to one project (null: the rules without project only). */
export type PricingTable = ReadonlyMap<string, ServiceScope>;

/** A usage point: what CloudKitty's collector makes of one measure. */
export interface UsagePoint {
  /** the rated metric's name (a hashmap service's name) */
  readonly service: string;
  readonly qty: Decimal;
  /** the point's groupby and metadata; a key in both takes groupby's value */
  readonly groupby: Readonly<Record<string, string>>;
  readonly metadata: Readonly<Record<string, string>>;
}

/** Thrown for a point CloudKitty cannot price either (its processor fails on it). */
export class UnpriceableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnpriceableError';
  }
}

/** Gathers the rules that apply to `projectId`, as CloudKitty loads them for one scope. */
export function pricingTable(rules: HashMapRules, projectId: string | null): PricingTable {
  const groupName = new Map(rules.groups.map((g) => [g.groupId, g.name]));
  const groupOf = (groupId: string | null): string => (groupId !== null ? (groupName.get(groupId) ?? DEFAULT_GROUP) : DEFAULT_GROUP);
  // the shared rules, then the project's own (twice the shared ones without a project: same result)
  const projects = [null, projectId];

  const load = (scope: Scope, parent: { serviceId?: string; fieldId?: string }): void => {
    for (const tenant of projects) {
      for (const m of rules.mappings) {
        if (m.tenantId !== tenant) continue;
        if (parent.serviceId !== undefined ? m.serviceId !== parent.serviceId : m.fieldId !== parent.fieldId) continue;
        const group = groupOf(m.groupId);
        let byKey = scope.mappings.get(group);
        if (!byKey) scope.mappings.set(group, (byKey = new Map()));
        // CloudKitty keys a rule by its value when it has one, else sets it on the group itself
        byKey.set(m.value ? m.value : '', { type: m.type, cost: m.cost });
      }
      for (const t of rules.thresholds) {
        if (t.tenantId !== tenant) continue;
        if (parent.serviceId !== undefined ? t.serviceId !== parent.serviceId : t.fieldId !== parent.fieldId) continue;
        const group = groupOf(t.groupId);
        let byLevel = scope.thresholds.get(group);
        if (!byLevel) scope.thresholds.set(group, (byLevel = new Map()));
        // equal levels are one key, whatever their notation
        const key = t.level.toColumn(40, 8)?.toPlain() ?? t.level.toPlain();
        byLevel.set(key, { type: t.type, cost: t.cost, level: t.level });
      }
    }
  };

  const table = new Map<string, ServiceScope>();
  for (const service of rules.services) {
    const scope: ServiceScope = { mappings: new Map(), thresholds: new Map(), fields: null };
    table.set(service.name, scope);
    load(scope, { serviceId: service.serviceId });
    for (const field of rules.fields) {
      if (field.serviceId !== service.serviceId) continue;
      const fieldScope: Scope = { mappings: new Map(), thresholds: new Map() };
      (scope.fields ??= new Map()).set(field.name, fieldScope);
      load(fieldScope, { fieldId: field.fieldId });
    }
  }
  return table;
}

/** One group's running result while a point is priced. */
interface GroupResult {
  flat: Decimal;
  rate: Decimal;
  threshold: { level: Decimal; cost: Decimal; type: MapType; scope: 'service' | 'field' };
}

/** The point's price: `basePrice` (what modules of higher priority gave it) plus the hashmap's. */
export function pricePoint(table: PricingTable, point: UsagePoint, basePrice: Decimal = Decimal.int(0)): Decimal {
  const results = new Map<string, GroupResult>();
  const resultOf = (group: string): GroupResult => {
    let r = results.get(group);
    // Python ints until a Decimal replaces them: no threshold is level -1, cost 0, flat, field
    if (!r) results.set(group, (r = { flat: Decimal.int(0), rate: Decimal.int(1), threshold: { level: Decimal.int(-1), cost: Decimal.int(0), type: 'flat', scope: 'field' } }));
    return r;
  };
  const applyMapping = (group: string, rule: Rule): void => {
    const r = resultOf(group);
    if (rule.type === 'rate') r.rate = r.rate.mul(rule.cost);
    else if (rule.cost.compare(r.flat) > 0) r.flat = rule.cost;
  };
  const applyThresholds = (thresholds: Scope['thresholds'], reached: Decimal, scope: 'service' | 'field'): void => {
    for (const [group, byLevel] of thresholds) {
      for (const rule of byLevel.values()) {
        if (reached.compare(rule.level) < 0) continue;
        const r = resultOf(group);
        if (rule.level.compare(r.threshold.level) > 0) r.threshold = { level: rule.level, cost: rule.cost, type: rule.type, scope };
      }
    }
  };

  const service = table.get(point.service);
  if (service) {
    for (const [group, byKey] of service.mappings) {
      const own = byKey.get('');
      // CloudKitty reads the group's own rule here; a service mapping given a value has none
      if (!own) throw new UnpriceableError(`service ${point.service}: group ${group} has only mappings with a value`);
      applyMapping(group, own);
    }
    applyThresholds(service.thresholds, point.qty, 'service');

    const desc: Record<string, string> = { ...point.metadata, ...point.groupby };
    for (const [name, field] of service.fields ?? []) {
      if (!Object.prototype.hasOwnProperty.call(desc, name)) continue;
      const value = desc[name];
      for (const [group, byValue] of field.mappings) {
        for (const [key, rule] of byValue) if (key === value) applyMapping(group, rule);
      }
      if (field.thresholds.size > 0) {
        const level = Decimal.parse(value);
        if (level === null) throw new UnpriceableError(`field ${name} has thresholds but the value ${JSON.stringify(value)} is not a number`);
        applyThresholds(field.thresholds, level, 'field');
      }
    }
  }

  let price = basePrice;
  for (const r of results.values()) {
    let { flat, rate } = r;
    const t = r.threshold;
    if (t.scope === 'field') {
      if (t.type === 'flat') flat = flat.add(t.cost);
      else rate = rate.mul(t.cost);
    }
    let result = rate.mul(flat).mul(point.qty);
    if (t.scope === 'service') result = t.type === 'flat' ? result.add(t.cost) : result.mul(t.cost);
    price = price.add(result);
  }
  return price;
}
