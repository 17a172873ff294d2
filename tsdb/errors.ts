/**
 * Errors the store raises for bad input. Each names the offending field so the
 * API layer can answer with the field and an HTTP 400, as Gnocchi does.
 */
export class InvalidInputError extends Error {
  readonly field: string;
  /** what is wrong, without the field name */
  readonly reason: string;
  constructor(field: string, reason: string) {
    super(`${field}: ${reason}`);
    this.name = 'InvalidInputError';
    this.field = field;
    this.reason = reason;
  }
}

export class UnknownAggregationMethodError extends InvalidInputError {
  readonly method: string;
  constructor(field: string, method: string) {
    super(field, `unknown aggregation method '${method}'`);
    this.name = 'UnknownAggregationMethodError';
    this.method = method;
  }
}

export class MetricNotFoundError extends Error {
  readonly metricId: string;
  constructor(metricId: string) {
    super(`metric ${metricId} does not exist`);
    this.name = 'MetricNotFoundError';
    this.metricId = metricId;
  }
}

export class MetricExistsError extends Error {
  readonly metricId: string;
  constructor(metricId: string) {
    super(`metric ${metricId} already exists`);
    this.name = 'MetricExistsError';
    this.metricId = metricId;
  }
}

/** The metric's policy has no such (method, granularity) pair. */
export class AggregationNotFoundError extends Error {
  readonly metricId: string;
  readonly method: string;
  readonly granularity: number;
  constructor(metricId: string, method: string, granularitySeconds: number) {
    super(`aggregation method '${method}' at granularity '${granularitySeconds}' for metric ${metricId} does not exist`);
    this.name = 'AggregationNotFoundError';
    this.metricId = metricId;
    this.method = method;
    this.granularity = granularitySeconds;
  }
}

/** Series cannot be combined: no common granularity, too little overlap, mismatched operands. */
export class UnaggregableSeriesError extends Error {
  readonly references: ReadonlyArray<readonly unknown[]>;
  readonly reason: string;
  constructor(references: ReadonlyArray<readonly unknown[]>, reason: string) {
    super(`Metrics can't being aggregated: ${reason}`);
    this.name = 'UnaggregableSeriesError';
    this.references = references;
    this.reason = reason;
  }
}
