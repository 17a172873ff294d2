/**
 * Statistics of Aodh's prometheus rule: the samples of a PromQL instant
 * query, as [time µs, 0, value] datapoints. In-process the engine runs over
 * the store, a member's alarm seeing only its project's series; over HTTP the
 * query goes to a Prometheus API (tally's or a real Prometheus), as Aodh's
 * evaluator sends it through observabilityclient.
 */
import { formatResult } from '../../promql/format.js';
import { PromQLError } from '../../promql/errors.js';
import { instantQuery } from '../../promql/query.js';
import { scopedQuery } from '../../promql/scope.js';
import { SeriesCatalog } from '../../promql/store/series-catalog.js';
import { StoreSource } from '../../promql/store/store-source.js';
import type { Engine } from '../../tsdb/engine.js';
import type { Index } from '../../tsdb/index/index.js';
import type { Datapoint, PromqlRequest, StatisticsResult } from './statistics-source.js';

const failed = (message: string): StatisticsResult => ({ ok: false, failure: { kind: 'error', message } });

/** The API's `data` of an instant query as datapoints: a vector's samples, or a scalar. */
export function promqlPoints(data: { resultType: string; result: unknown }): StatisticsResult {
  const point = ([t, v]: [number, string]): Datapoint => [Math.round(t * 1000) * 1000, 0, v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v)];
  if (data.resultType === 'vector') return { ok: true, points: (data.result as { value: [number, string] }[]).map((s) => point(s.value)) };
  if (data.resultType === 'scalar') return { ok: true, points: [point(data.result as [number, string])] };
  return failed(`the query gives a ${data.resultType}: a prometheus rule compares an instant vector or a scalar`);
}

/** PromQL over the store, in this process. */
export class StorePromql {
  private readonly catalog: SeriesCatalog;

  constructor(private readonly engine: Engine, index: Index) {
    this.catalog = new SeriesCatalog(index, engine);
  }

  async read(r: PromqlRequest): Promise<StatisticsResult> {
    const viewer = r.project === null ? { isAdmin: true, projectId: '', creator: '' } : { isAdmin: false, projectId: r.project, creator: '' };
    try {
      return promqlPoints(formatResult(await instantQuery(new StoreSource(this.engine, this.catalog, viewer), r.query, r.time / 1000)));
    } catch (err) {
      if (err instanceof PromQLError) return failed(`${err.errorType}: ${err.message}`);
      throw err;
    }
  }
}

/** PromQL through a Prometheus HTTP API; `headers` carry the credentials. */
export async function readPromqlOverHttp(baseUrl: string, headers: Record<string, string>, r: PromqlRequest, timeoutMs: number): Promise<StatisticsResult> {
  let query = r.query;
  try {
    // a member's alarm: only its project's series, as Aodh's PromQLRbac adds the project label to each selector
    if (r.project !== null) query = scopedQuery(r.query, 'project', r.project);
  } catch (err) {
    if (err instanceof PromQLError) return failed(`${err.errorType}: ${err.message}`);
    throw err;
  }
  const url = `${baseUrl}/api/v1/query?${new URLSearchParams({ query, time: String(r.time / 1e6) })}`;
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  let body: { status?: string; data?: { resultType: string; result: unknown }; errorType?: string; error?: string };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return failed(`${text.slice(0, 200)} (HTTP ${res.status})`);
  }
  if (body.status !== 'success' || body.data === undefined) return failed(`${body.errorType ?? 'error'}: ${body.error ?? text.slice(0, 200)} (HTTP ${res.status})`);
  return promqlPoints(body.data);
}
