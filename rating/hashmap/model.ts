/**
 * The hashmap rating module's rules, as CloudKitty keeps them: services
 * (named as the rated metrics), fields (a metadata key of a service's
 * points), groups (rules priced together), mappings (a cost for a service, or
 * for one value of a field) and thresholds (a cost from a quantity, or a
 * field's numeric value, upwards). Ids are UUIDs; costs and levels are
 * decimals with the scale CloudKitty's columns give them (28 and 8 digits
 * after the point).
 */
import type { Decimal } from '../decimal.js';

export type MapType = 'flat' | 'rate';

/** Listed in the order CloudKitty 17 lists them (the order of a Python set there). */
export const MAP_TYPES: readonly MapType[] = ['rate', 'flat'];

export interface HashMapService {
  readonly serviceId: string;
  readonly name: string;
}

export interface HashMapField {
  readonly fieldId: string;
  readonly serviceId: string;
  readonly name: string;
}

export interface HashMapGroup {
  readonly groupId: string;
  readonly name: string;
}

/** Exactly one of serviceId and fieldId is set. */
export interface HashMapMapping {
  readonly mappingId: string;
  /** the field's value it applies to; '' or null for a service mapping */
  readonly value: string | null;
  readonly type: MapType;
  readonly cost: Decimal;
  readonly serviceId: string | null;
  readonly fieldId: string | null;
  readonly groupId: string | null;
  /** the project it applies to; null: every project */
  readonly tenantId: string | null;
}

/** Exactly one of serviceId and fieldId is set. */
export interface HashMapThreshold {
  readonly thresholdId: string;
  /** applies from this quantity (service) or field value (field) up */
  readonly level: Decimal;
  readonly type: MapType;
  readonly cost: Decimal;
  readonly serviceId: string | null;
  readonly fieldId: string | null;
  readonly groupId: string | null;
  readonly tenantId: string | null;
}

/** Every rule of the module, each list in CloudKitty's listing order (see SCHEMA.md). */
export interface HashMapRules {
  readonly services: readonly HashMapService[];
  readonly fields: readonly HashMapField[];
  readonly groups: readonly HashMapGroup[];
  readonly mappings: readonly HashMapMapping[];
  readonly thresholds: readonly HashMapThreshold[];
}

/** A rating module's switch and rank, as `/v1/rating/modules` shows them. */
export interface RatingModuleState {
  readonly name: string;
  readonly enabled: boolean;
  readonly priority: number;
}
