/**
 * Alarms as the evaluator keeps them between cycles. A row read from the
 * store carries its own copy of every string: 100,000 alarms held 100,000
 * copies of "gnocchi_resources_threshold", of "moderate", of their project's
 * id, of their rule's metric and method, and four empty arrays each, ~40 MB
 * in all. Kept alarms share those values instead, and leave out the text
 * evaluation never reads (a state reason is ~100 bytes an alarm).
 */
import { BoundedMemo } from '../../tsdb/bounded-memo.js';
import type { Alarm, AlarmRule } from '../model.js';

/** An alarm as evaluation needs it: all but its description and state reason. */
export type WorkingAlarm = Omit<Alarm, 'description' | 'state_reason'>;

const EMPTY: readonly never[] = Object.freeze([]);

/** Strings shared by the alarms kept: each string's first copy, bounded and forgotten as a whole when full (copies then simply stop being shared). */
export type StringPool = BoundedMemo<string, string>;

export function stringPool(limit = 200_000): StringPool {
  return new BoundedMemo<string, string>(limit, (s) => s);
}

/**
 * A rule's JSON with its strings shared, in place: the rule is the alarm's
 * own, freshly parsed (a copy made here would lose the fast layout
 * JSON.parse gives its objects).
 */
function compactValue(v: unknown, pool: StringPool): unknown {
  if (typeof v === 'string') return pool.get(v);
  if (Array.isArray(v)) {
    if (v.length === 0) return EMPTY;
    for (let i = 0; i < v.length; i++) v[i] = compactValue(v[i], pool);
  } else if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) o[k] = compactValue(o[k], pool);
  }
  return v;
}

const shared = (list: readonly string[], pool: StringPool): readonly string[] => (list.length === 0 ? EMPTY : list.map((s) => pool.get(s)));

/**
 * The alarm with every value other alarms may hold too taken from the pool;
 * its id and name stay its own. `a` is a copy just read from the store, and
 * its rule is compacted in place.
 */
export function compactAlarm(a: Alarm, pool: StringPool): WorkingAlarm {
  const same = <T extends string>(s: T): T => pool.get(s) as T;
  return {
    alarm_id: a.alarm_id,
    type: same(a.type),
    name: a.name,
    enabled: a.enabled,
    user_id: same(a.user_id),
    project_id: same(a.project_id),
    state: same(a.state),
    severity: same(a.severity),
    ok_actions: shared(a.ok_actions, pool),
    alarm_actions: shared(a.alarm_actions, pool),
    insufficient_data_actions: shared(a.insufficient_data_actions, pool),
    repeat_actions: a.repeat_actions,
    rule: compactValue(a.rule, pool) as AlarmRule,
    time_constraints: a.time_constraints.length === 0 ? EMPTY : a.time_constraints,
    timestamp: a.timestamp,
    state_timestamp: a.state_timestamp,
    evaluate_timestamp: a.evaluate_timestamp,
  };
}
