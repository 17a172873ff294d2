/**
 * The rating API's JSON views, keys in CloudKitty 17's order; costs and
 * levels as strings, Python's str() of the stored decimal (WSME's way with
 * Decimal attributes): "0.5000000000000000000000000000", "0E-28".
 */
import type { HashMapField, HashMapGroup, HashMapMapping, HashMapService, HashMapThreshold, RatingModuleState } from '../hashmap/model.js';

/** What CloudKitty says of each module tally offers. */
const MODULE_INFO: Readonly<Record<string, { description: string; hotConfig: boolean }>> = {
  hashmap: { description: 'HashMap rating module.', hotConfig: true },
  noop: { description: 'Dummy test module.', hotConfig: false },
};

export const moduleJson = (m: RatingModuleState): Record<string, unknown> => ({
  module_id: m.name,
  description: MODULE_INFO[m.name]?.description ?? '',
  // the noop module is always on, whatever its stored state
  enabled: m.name === 'noop' ? true : m.enabled,
  'hot-config': MODULE_INFO[m.name]?.hotConfig ?? false,
  priority: m.priority,
});

export const serviceJson = (s: HashMapService): Record<string, unknown> => ({ service_id: s.serviceId, name: s.name });

export const fieldJson = (f: HashMapField): Record<string, unknown> => ({ field_id: f.fieldId, name: f.name, service_id: f.serviceId });

export const groupJson = (g: HashMapGroup): Record<string, unknown> => ({ group_id: g.groupId, name: g.name });

export const mappingJson = (m: HashMapMapping): Record<string, unknown> => ({
  mapping_id: m.mappingId,
  value: m.value,
  type: m.type,
  cost: m.cost.toString(),
  service_id: m.serviceId,
  field_id: m.fieldId,
  group_id: m.groupId,
  tenant_id: m.tenantId,
});

export const thresholdJson = (t: HashMapThreshold): Record<string, unknown> => ({
  threshold_id: t.thresholdId,
  level: t.level.toString(),
  type: t.type,
  cost: t.cost.toString(),
  service_id: t.serviceId,
  field_id: t.fieldId,
  group_id: t.groupId,
  tenant_id: t.tenantId,
});
