/**
 * RGW's admin API, as Ceilometer's rgw_client reads it: GETs signed with AWS
 * signature v2 by a user with read caps on buckets, users, usage and metadata.
 * Ceilometer asks per Keystone project; this asks once for all: the users
 * (/admin/metadata/user), every bucket's stats (/admin/bucket?stats) and every
 * user's usage summary (/admin/usage), three requests per poll.
 */
import { createHmac } from 'node:crypto';
import { list, num, record, str } from './json-fields.js';

export interface RgwAdminOptions {
  /** RGW's URL (the object-store endpoint); the admin API is its /admin */
  readonly endpoint: string;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly timeoutMs?: number;
}

export interface RgwBucket {
  readonly name: string;
  /** '' when the bucket is in no tenant */
  readonly tenant: string;
  /** the owner's uid, `tenant$user` for a user in a tenant */
  readonly owner: string;
  /** summed over the bucket's usage categories (rgw.main, rgw.multimeta, …) */
  readonly objects: number;
  readonly sizeKb: number;
}

export interface RgwReading {
  /** every user's uid, `tenant$user` for users in a tenant */
  readonly users: readonly string[];
  readonly buckets?: readonly RgwBucket[];
  /** uid → requests in the usage log (every category), when usage was asked */
  readonly ops?: ReadonlyMap<string, number>;
}

/** AWS signature v2 of a GET without body (what Ceilometer's awsauth sends): query strings are not signed. */
export function signV2(secretKey: string, method: string, path: string, date: string): string {
  return createHmac('sha1', secretKey).update(`${method}\n\n\n${date}\n${path}`).digest('base64');
}

export class RgwAdminClient {
  constructor(private readonly options: RgwAdminOptions) {}

  async get(path: string, query: Record<string, string>, signal?: AbortSignal): Promise<unknown> {
    const url = new URL(path, this.options.endpoint);
    for (const [k, v] of Object.entries({ ...query, format: 'json' })) url.searchParams.set(k, v);
    const date = new Date().toUTCString();
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 30_000);
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { date, authorization: `AWS ${this.options.accessKey}:${signV2(this.options.secretKey, 'GET', url.pathname, date)}` },
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (err) {
      // fetch says only "fetch failed"; the cause says why (ECONNREFUSED, a timeout, …)
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
      throw new Error(`RGW admin API ${url.origin}${url.pathname}: ${cause}`);
    }
    const body = await res.text();
    if (res.status !== 200) throw new Error(`RGW admin API ${url.pathname}: ${res.status} ${res.statusText} ${body.slice(0, 200)}`);
    try {
      return JSON.parse(body);
    } catch {
      throw new Error(`RGW admin API ${url.pathname}: not JSON: ${body.slice(0, 200)}`);
    }
  }

  /** The users, and the bucket stats and usage when asked, read concurrently. */
  async read(want: { buckets: boolean; usage: boolean }, signal?: AbortSignal): Promise<RgwReading> {
    const [users, buckets, ops] = await Promise.all([
      this.get('/admin/metadata/user', {}, signal).then(parseUsers),
      want.buckets ? this.get('/admin/bucket', { stats: 'true' }, signal).then(parseBuckets) : undefined,
      want.usage ? this.get('/admin/usage', { 'show-entries': 'false', 'show-summary': 'true' }, signal).then(parseUsage) : undefined,
    ]);
    return { users, ...(buckets ? { buckets } : {}), ...(ops ? { ops } : {}) };
  }
}

export function parseUsers(doc: unknown): string[] {
  return list(doc, 'RGW user list').map((u) => str(u, 'RGW uid'));
}

export function parseBuckets(doc: unknown): RgwBucket[] {
  return list(doc, 'RGW bucket stats').map((v) => {
    const b = record(v, 'RGW bucket');
    let objects = 0;
    let sizeKb = 0;
    // an empty bucket has no category at all
    for (const c of Object.values(record(b.usage ?? {}, 'RGW bucket usage'))) {
      const u = record(c, 'RGW bucket usage category');
      objects += num(u.num_objects, 'num_objects');
      sizeKb += num(u.size_kb, 'size_kb');
    }
    return { name: str(b.bucket, 'bucket'), tenant: typeof b.tenant === 'string' ? b.tenant : '', owner: str(b.owner, 'owner'), objects, sizeKb };
  });
}

export function parseUsage(doc: unknown): Map<string, number> {
  const ops = new Map<string, number>();
  for (const v of list(record(doc, 'RGW usage').summary ?? [], 'RGW usage summary')) {
    const s = record(v, 'RGW usage summary entry');
    ops.set(str(s.user, 'user'), num(record(s.total, 'total').ops, 'ops'));
  }
  return ops;
}
