/**
 * The parser's output: one scrape's samples in columns, reused from scrape to
 * scrape (one batch per target) so that steady-state parsing allocates
 * nothing: a series found where the previous parse had it keeps that string.
 * `keys[i]` is the series exactly as exposed (`name{labels}`, escapes kept),
 * the key of the scraper's per-target cache; `parseSeries` (series-labels.ts)
 * turns it into labels when a series is new.
 */

/** A family's `# TYPE`, as a small number so it fits a Uint8Array column. */
export const MetricType = {
  untyped: 0,
  counter: 1,
  gauge: 2,
  histogram: 3,
  gaugehistogram: 4,
  summary: 5,
  info: 6,
  stateset: 7,
} as const;
export type MetricType = (typeof MetricType)[keyof typeof MetricType];

export const METRIC_TYPE_NAMES: readonly string[] = ['untyped', 'counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset'];

/** HELP, TYPE and UNIT of a family, kept only when the parser is asked for them. */
export interface FamilyMetadata {
  type: MetricType;
  help: string;
  unit: string;
}

export class SampleBatch {
  /** number of samples in the columns below */
  length = 0;
  /** series as exposed: the text from the metric name to the closing brace */
  readonly keys: string[] = [];
  values: Float64Array;
  /** the exposed timestamp in milliseconds (OpenMetrics' seconds × 1000), NaN when absent */
  timestamps: Float64Array;
  /** the type of the sample's family (`# TYPE`), untyped when none applies */
  types: Uint8Array;
  /**
   * 1 when keys[i] is the very string the previous parse into this batch had
   * at index i (the exporter wrote the same series in the same place): a
   * per-target batch lets the scraper skip the cache lookup for it
   */
  same: Uint8Array;
  /** family name → metadata; filled only when parsing with `metadata: true` */
  readonly metadata = new Map<string, FamilyMetadata>();

  constructor(capacity = 1024) {
    this.values = new Float64Array(capacity);
    this.timestamps = new Float64Array(capacity);
    this.types = new Uint8Array(capacity);
    this.same = new Uint8Array(capacity);
  }

  reset(): void {
    this.length = 0;
    this.metadata.clear();
  }

  /** Room for one more sample; doubles the columns when full. */
  grow(): void {
    const capacity = this.values.length * 2;
    const values = new Float64Array(capacity);
    values.set(this.values);
    const timestamps = new Float64Array(capacity);
    timestamps.set(this.timestamps);
    const types = new Uint8Array(capacity);
    types.set(this.types);
    this.values = values;
    this.timestamps = timestamps;
    this.types = types;
    const same = new Uint8Array(capacity);
    same.set(this.same);
    this.same = same;
  }
}
