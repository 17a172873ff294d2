/**
 * A resource's usage of one metric as constant stretches of time, to the
 * microsecond: the metric's level (a stored point's value) held by one
 * revision of the resource, inside one rating period.
 *
 * - A stored point stands for its value from its timestamp (the start of its
 *   bucket) to the next point, for at most one hold: the larger of two
 *   granularities and the rating period. A missed sample, or a meter sent
 *   once an hour (volume.exists), does not make the resource free; a
 *   stopped instance, whose meters go quiet, stops costing one hold after
 *   its last sample. The first point also stands for up to one hold before
 *   it, back to the resource's start.
 * - Only the resource's lifetime counts: [started_at, ended_at).
 * - The revision in force at an instant gives the attributes; the oldest
 *   revision read also stands for the time before it (a resource created
 *   through the API after it started).
 * - Stretches are cut at period boundaries (multiples of the period since
 *   the epoch), so that each belongs to one rated frame; consecutive whole
 *   periods at one level under one revision come out as one run.
 *
 * Consecutive points of the same level whose stretches touch are one
 * stretch: a month of 300 s points held constant is a handful of calls,
 * not 8,640. Plain loops over typed arrays: this runs for every resource
 * of a month.
 */

export interface Lifetime {
  /** µs */
  readonly startedAt: number;
  /** µs; null: still alive */
  readonly endedAt: number | null;
}

/**
 * Receives `periods` consecutive periods from `periodStart`, each held
 * `micros` µs by the revision's index at the level of `value` (periods > 1
 * only for whole periods).
 */
export type SegmentSink = (periodStart: number, periods: number, micros: number, revision: number, value: number) => void;

export interface SegmentWindow {
  /** the rated span, µs */
  readonly begin: number;
  readonly end: number;
  /** the rating period, µs */
  readonly period: number;
  /** µs: usage of live resources stops here */
  readonly now: number;
}

/**
 * How two stored values compare as levels: `value`, equal when equal;
 * `zero`, equal when both are 0 or both are not (NUMBOOL and NOTNUMBOOL
 * without offset, where the level says only that).
 */
export type LevelClass = 'value' | 'zero';

/**
 * Emits the stretches of one resource's metric. The stored points come as
 * runs (tsdb/series-runs.ts): run i is points from `starts[i]` to `lasts[i]`
 * (µs), one granularity apart, all at `values[i]`, `length` runs in time
 * order; `revisionStarts` the start of each revision after the first (µs,
 * sorted), `granularity` the series' (µs).
 */
export function segments(
  window: SegmentWindow,
  life: Lifetime,
  starts: Float64Array,
  lasts: Float64Array,
  values: Float64Array,
  length: number,
  granularity: number,
  revisionStarts: readonly number[],
  levels: LevelClass,
  sink: SegmentSink,
): void {
  if (length === 0) return;
  const lo = Math.max(window.begin, life.startedAt);
  const hi = Math.min(window.end, life.endedAt ?? window.now);
  const hold = Math.max(2 * granularity, window.period);
  if (hi <= lo) return;
  const byZero = levels === 'zero';
  const state = { revision: 0 };
  // the open stretch: [from, to) at value; a run's points are one granularity apart, within a hold of each other
  let from = starts[0] - hold;
  let to = length > 1 ? Math.min(starts[1], lasts[0] + hold) : lasts[0] + hold;
  let value = values[0];
  for (let i = 1; i < length; i++) {
    const v = values[i];
    const same = byZero ? (v === 0) === (value === 0) : v === value;
    // run i continues the stretch when it has the same level and the stretch reached it
    const end = i + 1 < length ? Math.min(starts[i + 1], lasts[i] + hold) : lasts[i] + hold;
    if (same && to === starts[i]) {
      to = end;
      continue;
    }
    if (to > lo && from < hi) cut(Math.max(from, lo), Math.min(to, hi), value, window.period, revisionStarts, state, sink);
    if (starts[i] >= hi) return;
    from = starts[i];
    to = end;
    value = v;
  }
  if (to > lo && from < hi) cut(Math.max(from, lo), Math.min(to, hi), value, window.period, revisionStarts, state, sink);
}

/** Cuts [from, to) at revision changes and period boundaries; `state.revision` moves forward only (stretches come in time order). */
function cut(from: number, to: number, value: number, period: number, revisionStarts: readonly number[], state: { revision: number }, sink: SegmentSink): void {
  let revision = state.revision;
  while (from < to) {
    while (revision < revisionStarts.length && revisionStarts[revision] <= from) revision++;
    let stop = to;
    if (revision < revisionStarts.length && revisionStarts[revision] < stop) stop = revisionStarts[revision];
    // [from, stop): one revision; a partial period, whole periods, a partial period
    while (from < stop) {
      const periodStart = Math.floor(from / period) * period;
      if (from === periodStart && stop - from >= period) {
        const whole = Math.floor((stop - from) / period);
        sink(periodStart, whole, period, revision, value);
        from += whole * period;
        continue;
      }
      const c = Math.min(stop, periodStart + period);
      sink(periodStart, 1, c - from, revision, value);
      from = c;
    }
  }
  state.revision = revision;
}
