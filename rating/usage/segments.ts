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
 *   the epoch), so that each belongs to one rated frame.
 *
 * Plain loops over typed arrays: this runs for every resource of a month.
 */

export interface Lifetime {
  /** µs */
  readonly startedAt: number;
  /** µs; null: still alive */
  readonly endedAt: number | null;
}

/** Receives a stretch: [from, to) in µs, the revision's index, the period's start, the level. */
export type SegmentSink = (from: number, to: number, revision: number, periodStart: number, value: number) => void;

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
 * Emits the stretches of one resource's metric. `ts`/`values` are the stored
 * points (µs), sorted, `length` of them; `revisionStarts` the start of each
 * revision after the first (µs, sorted), `granularity` the series' (µs).
 */
export function segments(
  window: SegmentWindow,
  life: Lifetime,
  ts: Float64Array,
  values: Float64Array,
  length: number,
  granularity: number,
  revisionStarts: readonly number[],
  sink: SegmentSink,
): void {
  if (length === 0) return;
  const lo = Math.max(window.begin, life.startedAt);
  const hi = Math.min(window.end, life.endedAt ?? window.now);
  const hold = Math.max(2 * granularity, window.period);
  if (hi <= lo) return;
  const period = window.period;
  let revision = 0;
  for (let i = 0; i < length; i++) {
    // point i covers [from, to)
    let from = i === 0 ? ts[i] - hold : ts[i];
    let to = i + 1 < length ? Math.min(ts[i + 1], ts[i] + hold) : ts[i] + hold;
    if (to <= lo) continue;
    if (from >= hi) break;
    if (from < lo) from = lo;
    if (to > hi) to = hi;
    const value = values[i];
    // cut at revision changes and period boundaries
    while (from < to) {
      while (revision < revisionStarts.length && revisionStarts[revision] <= from) revision++;
      const periodStart = Math.floor(from / period) * period;
      let cut = Math.min(to, periodStart + period);
      if (revision < revisionStarts.length && revisionStarts[revision] < cut) cut = revisionStarts[revision];
      sink(from, cut, revision, periodStart, value);
      from = cut;
    }
  }
}
