/**
 * What the PromQL engine reads: series selected by label matchers over a
 * time window. The store's series model (resources and their metrics seen as
 * Prometheus series) and any other holder of samples implement it.
 */

/** A series' labels, `__name__` included, sorted by name, names unique. */
export type Labels = readonly (readonly [name: string, value: string])[];

export type MatchType = '=' | '!=' | '=~' | '!~';

/** One matcher of a selector; regexes are anchored, RE2 syntax, as Prometheus's. */
export interface LabelMatcher {
  readonly type: MatchType;
  readonly name: string;
  readonly value: string;
}

/** A series and its samples in time order; times in milliseconds since the epoch. */
export interface Series {
  readonly labels: Labels;
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
}

export interface SeriesSource {
  /**
   * The series matching every matcher, with at least their samples in
   * [startMs, endMs] (more is allowed: the engine trims). Series without a
   * sample in the window may be left out.
   */
  select(matchers: readonly LabelMatcher[], startMs: number, endMs: number, signal?: AbortSignal): Promise<readonly Series[]>;
}
