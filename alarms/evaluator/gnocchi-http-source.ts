/**
 * Statistics from any Gnocchi-compatible API over HTTP (`tally alarms
 * --gnocchi-url`): tally's own, or a real Gnocchi, so that Aodh can be
 * replaced before Gnocchi is. The requests are the ones Aodh's evaluator
 * makes through gnocchiclient; equal requests in a batch are sent once, and
 * at most `concurrency` are in flight.
 */
import { pyRepr } from '../../tsdb/python-repr.js';
import { parseTimestamp } from '../../tsdb/time.js';
import { aggregateOperations } from './in-process-source.js';
import { readPromqlOverHttp } from './promql-statistics.js';
import type { Datapoint, GnocchiRequest, ReadFailure, StatisticsRequest, StatisticsResult, StatisticsSource } from './statistics-source.js';

/** How tally identifies itself to the Gnocchi API. */
export type GnocchiCredentials =
  | { readonly kind: 'basic'; readonly user: string; readonly password: string }
  | { readonly kind: 'noauth'; readonly userId: string; readonly projectId: string; readonly roles: string }
  | { readonly kind: 'token'; readonly token: () => Promise<string> };

export interface GnocchiHttpOptions {
  readonly url: string;
  /** the Prometheus API prometheus rules query (default: `url`, tally serving both) */
  readonly prometheusUrl?: string;
  readonly credentials: GnocchiCredentials;
  readonly timeoutMs?: number;
  readonly concurrency?: number;
}

const iso = (us: number): string => new Date(us / 1000).toISOString();

/** gnocchiclient's str(exception): the description, then the status. */
function clientMessage(status: number, body: string): string {
  let description: unknown = body;
  try {
    const parsed = JSON.parse(body) as { description?: unknown };
    description = parsed.description ?? parsed;
  } catch {
    // not JSON: the text itself
  }
  const text = typeof description === 'string' ? description : pyRepr(description);
  return `${text} (HTTP ${status})`;
}

export class GnocchiHttpSource implements StatisticsSource {
  private readonly base: string;

  constructor(private readonly options: GnocchiHttpOptions) {
    this.base = options.url.replace(/\/+$/, '');
  }

  private async headers(): Promise<Record<string, string>> {
    const c = this.options.credentials;
    const h: Record<string, string> = { accept: 'application/json', 'content-type': 'application/json' };
    if (c.kind === 'basic') h.authorization = `Basic ${Buffer.from(`${c.user}:${c.password}`).toString('base64')}`;
    else if (c.kind === 'noauth') Object.assign(h, { 'x-user-id': c.userId, 'x-project-id': c.projectId, 'x-roles': c.roles });
    else h['x-auth-token'] = await c.token();
    return h;
  }

  private async call(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: await this.headers(),
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
    });
    return { status: res.status, text: await res.text() };
  }

  async aggregationMethods(): Promise<readonly string[]> {
    const { status, text } = await this.call('GET', '/v1/capabilities');
    if (status !== 200) throw new Error(`Gnocchi answered ${status} to GET /v1/capabilities`);
    return (JSON.parse(text) as { aggregation_methods?: string[] }).aggregation_methods ?? [];
  }

  async checkResourcesQuery(r: Extract<GnocchiRequest, { kind: 'resources' }>): Promise<[number, string] | null> {
    const now = Date.now() * 1000;
    const { status, text } = await this.call('POST', `/v1/aggregates?${new URLSearchParams({ needed_overlap: '0', start: iso(now - 86_400e6), stop: iso(now) })}`, {
      operations: aggregateOperations(r.aggregation, [r.metric]),
      search: r.query,
      resource_type: r.resourceType,
    });
    if (status < 300 || status === 404) return null;
    if (status === 400 && text.includes('Metrics not found')) return null;
    return [status, clientMessage(status, text)];
  }

  async read(requests: readonly StatisticsRequest[]): Promise<StatisticsResult[]> {
    const out: StatisticsResult[] = new Array(requests.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < requests.length) {
        const i = next++;
        out[i] = await this.readOne(requests[i]).catch((err: unknown) => ({ ok: false, failure: { kind: 'error', message: (err as Error).message } }) as const);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency ?? 16, requests.length) }, worker));
    return out;
  }

  private async readOne(r: StatisticsRequest): Promise<StatisticsResult> {
    if (r.kind === 'promql') {
      const { 'content-type': _json, ...headers } = await this.headers();
      return readPromqlOverHttp((this.options.prometheusUrl ?? this.base).replace(/\/+$/, ''), headers, r, this.options.timeoutMs ?? 30_000);
    }
    const window = { granularity: String(r.granularity), start: iso(r.start), stop: iso(r.stop) };
    let res: { status: number; text: string };
    if (r.kind === 'resource') {
      const q = new URLSearchParams({ ...window, aggregation: r.aggregation });
      res = await this.call('GET', `/v1/resource/generic/${encodeURIComponent(r.resourceId)}/metric/${encodeURIComponent(r.metric)}/measures?${q}`);
    } else {
      const q = new URLSearchParams({ ...window, needed_overlap: '0' });
      const names = r.kind === 'metrics' ? r.metrics : [r.metric];
      const body: Record<string, unknown> = { operations: aggregateOperations(r.aggregation, names) };
      if (r.kind === 'resources') Object.assign(body, { search: r.query, resource_type: r.resourceType });
      res = await this.call('POST', `/v1/aggregates?${q}`, body);
    }
    if (res.status === 200) return { ok: true, points: parsePoints(JSON.parse(res.text)) };
    return { ok: false, failure: failureOf(res.status, res.text) };
  }
}

/** gnocchiclient's exception classes, by status and message. */
function failureOf(status: number, text: string): ReadFailure {
  if (status === 404) {
    if (/Metric .* does not exist/.test(text)) return { kind: 'metric-not-found' };
    if (/Resource .* does not exist/.test(text)) return { kind: 'resource-not-found' };
    return { kind: 'not-found' };
  }
  return { kind: 'error', message: clientMessage(status, text) };
}

/** Measures as `[[ts, g, v], …]` or an aggregates answer (`{"measures": {"aggregated": […]}}`). */
function parsePoints(body: unknown): Datapoint[] {
  let rows = body;
  if (!Array.isArray(rows)) rows = (body as { measures?: { aggregated?: unknown } }).measures?.aggregated ?? [];
  return (rows as [string, number, number][]).map(([t, g, v]) => [parseTimestamp('timestamp', t), g, v] as const);
}

