/** The PromQL engine: parse, evaluate against a SeriesSource, format as Prometheus's HTTP API. */
export { instantQuery, rangeQuery, type QueryOptions, type QueryResult } from './query.js';
export { formatResult, formatResultJSON, type ResultData } from './format.js';
export { parseExpr, parseMetricSelector } from './parse.js';
export { BadDataError, CanceledError, ExecutionError, ParseError, PromQLError, type PromErrorType, TimeoutError, TooManySamplesError } from './errors.js';
export type { Expr, ValueType } from './ast.js';
export type { Labels, LabelMatcher, Series, SeriesSource } from './series-source.js';
