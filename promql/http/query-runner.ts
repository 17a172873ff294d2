/**
 * The query endpoints' evaluation: the engine over a caller's view of the
 * store, with the request's `timeout` (at most the server's, as Prometheus
 * caps it by `--query.timeout`, 2 minutes by default).
 */
import { formatResult, type ResultData } from '../format.js';
import { instantQuery, type QueryOptions, rangeQuery } from '../query.js';
import type { SeriesSource } from '../series-source.js';

export const DEFAULT_QUERY_TIMEOUT_MS = 120_000;

function options(timeoutMs: number | null): QueryOptions {
  return { timeoutMs: timeoutMs === null ? DEFAULT_QUERY_TIMEOUT_MS : Math.min(timeoutMs, DEFAULT_QUERY_TIMEOUT_MS) };
}

export async function runInstant(source: SeriesSource, query: string, timeMs: number, timeoutMs: number | null): Promise<ResultData> {
  return formatResult(await instantQuery(source, query, timeMs, options(timeoutMs)));
}

export async function runRange(source: SeriesSource, query: string, startMs: number, endMs: number, stepMs: number, timeoutMs: number | null): Promise<ResultData> {
  return formatResult(await rangeQuery(source, query, startMs, endMs, stepMs, options(timeoutMs)));
}
