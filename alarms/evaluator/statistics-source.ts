/**
 * Where threshold alarms read their statistics: the three Gnocchi reads
 * Aodh makes (a resource's metric; an aggregate across metric ids; an
 * aggregate across the resources a search finds), answered in batches so
 * that alarms reading the same data share one read. Two implementations:
 * in-process over the store (all-in-one) and over HTTP to any
 * Gnocchi-compatible API (`tally alarms --gnocchi-url`).
 */

export interface WindowedRead {
  readonly aggregation: string;
  /** seconds */
  readonly granularity: number;
  /** µs, inclusive */
  readonly start: number;
  /** µs, exclusive */
  readonly stop: number;
}

export type GnocchiRequest =
  | ({ readonly kind: 'resource'; readonly resourceId: string; readonly metric: string } & WindowedRead)
  | ({ readonly kind: 'metrics'; readonly metrics: readonly string[] } & WindowedRead)
  | ({ readonly kind: 'resources'; readonly resourceType: string; readonly query: Readonly<Record<string, unknown>>; readonly metric: string } & WindowedRead);

/** A PromQL instant query (Aodh's prometheus rule), seeing only `project`'s series unless null. */
export interface PromqlRequest {
  readonly kind: 'promql';
  readonly query: string;
  readonly project: string | null;
  /** µs */
  readonly time: number;
}

export type StatisticsRequest = GnocchiRequest | PromqlRequest;

/** One aggregated point: [timestamp µs, granularity s, value] (granularity 0 for a PromQL sample). */
export type Datapoint = readonly [number, number, number];

/** Why a read gave nothing, in Aodh's categories (its reasons differ by category). */
export type ReadFailure =
  | { readonly kind: 'metric-not-found' }
  | { readonly kind: 'resource-not-found' }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'error'; readonly message: string };

export type StatisticsResult = { readonly ok: true; readonly points: readonly Datapoint[] } | { readonly ok: false; readonly failure: ReadFailure };

export interface StatisticsSource {
  /** Answers each request, in order; never throws for one request's failure. */
  read(requests: readonly StatisticsRequest[]): Promise<StatisticsResult[]>;
  /** The aggregation methods the store offers (Gnocchi's capabilities), for rule validation. */
  aggregationMethods(): Promise<readonly string[]>;
  /**
   * Checks a resources-aggregation rule as Aodh does at creation: a trial
   * aggregate over the last day; missing metrics are fine, any other
   * refusal is returned as [status, message].
   */
  checkResourcesQuery(request: Extract<GnocchiRequest, { kind: 'resources' }>): Promise<[number, string] | null>;
}

/** A stable key: requests with equal keys read the same data. */
export function requestKey(r: StatisticsRequest): string {
  if (r.kind === 'promql') return `p|${r.project ?? ''}|${r.time}|${r.query}`;
  const window = `${r.aggregation}|${r.granularity}|${r.start}|${r.stop}`;
  if (r.kind === 'resource') return `r|${r.resourceId}|${r.metric}|${window}`;
  if (r.kind === 'metrics') return `m|${r.metrics.join(',')}|${window}`;
  return `q|${r.resourceType}|${JSON.stringify(r.query)}|${r.metric}|${window}`;
}
