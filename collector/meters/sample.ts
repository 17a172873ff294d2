/**
 * A sample, as Ceilometer's Sample.as_dict() has it: what meter definitions
 * and polling agents produce and the gnocchi publisher stores. Values keep
 * their JSON types (a volume may be a string, a resource id null): the
 * publisher decides what it can store.
 */
export interface Sample {
  readonly name: string;
  readonly type: string;
  readonly unit: unknown;
  readonly volume: unknown;
  readonly user_id: unknown;
  readonly project_id: unknown;
  readonly resource_id: unknown;
  /** ISO 8601 as Python's isoformat() prints it */
  readonly timestamp: string;
  readonly resource_metadata: Readonly<Record<string, unknown>>;
  readonly source: string;
  readonly id: string;
  readonly monotonic_time: number | null;
}

export const SAMPLE_TYPES: readonly string[] = ['gauge', 'delta', 'cumulative'];
