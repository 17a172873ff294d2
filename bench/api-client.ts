/**
 * The HTTP side of bench/api.ts: a plain client for a Gnocchi-compatible API
 * and a bounded pool of requests in flight.
 *
 * One TCP connection per request, for every server alike: Debian's uWSGI http
 * router adds ~40 ms to each keep-alive request (shared tools README), which
 * would measure uWSGI rather than Gnocchi; Gnocchi's own bench.py does the same.
 */
import { type Agent, request as httpRequest } from 'node:http';

export interface Reply {
  status: number;
  text: string;
}

/** One JSON request (`body` already text); a connection per request unless `agent` keeps them. */
export function sendHttp(target: URL, method: string, extraHeaders: Readonly<Record<string, string>>, body: string | undefined, agent: Agent | false, timeoutMs: number): Promise<Reply> {
  const headers: Record<string, string | number> = { accept: 'application/json', ...extraHeaders };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = Buffer.byteLength(body);
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(target, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${target.pathname}: no answer in ${timeoutMs / 1000} s`)));
    req.on('error', reject);
    req.end(body);
  });
}

export class ApiClient {
  constructor(
    readonly url: string,
    private readonly authorization: string,
  ) {}

  send(method: string, path: string, body?: string): Promise<Reply> {
    return sendHttp(new URL(path, this.url), method, { authorization: this.authorization }, body, false, 600_000);
  }

  /** Sends and parses the JSON answer; any status but the expected ones is an error. */
  async json<T>(method: string, path: string, body?: unknown, expect: number[] = [200, 201, 202, 204]): Promise<T> {
    const r = await this.send(method, path, body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
    if (!expect.includes(r.status)) throw new Error(`${method} ${path} -> ${r.status} ${r.text.slice(0, 500)}`);
    return (r.text ? JSON.parse(r.text) : null) as T;
  }
}

/** Runs fn over items with at most `inFlight` calls pending; rejects on the first failure. */
export async function pool<T>(items: readonly T[], inFlight: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, items.length) }, worker));
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
