/**
 * Listing pages as Gnocchi pages them: `limit` (clamped to max_limit),
 * `marker` (the last item of the previous page) and `sort` (repeatable
 * "key:dir"); a full page carries an RFC 5988 `Link: <…>; rel="next"` header.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './http-error.js';

export interface Page {
  readonly limit: number;
  readonly marker?: string;
  readonly sorts: readonly string[];
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === undefined || v === '' ? [] : [String(v)]);

export function parsePage(query: Record<string, unknown>, maxLimit: number, defaultSorts: readonly string[]): Page {
  let limit = maxLimit;
  const raw = Array.isArray(query.limit) ? query.limit[0] : query.limit;
  if (raw !== undefined) {
    const text = String(raw).trim();
    if (!/^[+-]?\d+$/.test(text)) throw new HttpError(400, { cause: 'Argument value error', reason: "expected int for dictionary value @ data['limit']" });
    const n = Number(text);
    if (n < 1) throw new HttpError(400, { cause: 'Argument value error', reason: "value must be at least 1 for dictionary value @ data['limit']" });
    limit = Math.min(n, maxLimit);
  }
  const marker = query.marker === undefined ? undefined : String(Array.isArray(query.marker) ? query.marker[0] : query.marker);
  const sorts = list(query.sort);
  return { limit, marker, sorts: sorts.length ? sorts : defaultSorts };
}

/** Python's urllib.parse.quote_plus. */
const quotePlus = (s: string): string =>
  encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');

/** Sets the next-page link when the page is full; `marker` is the last item's. */
export function setNextLink(request: FastifyRequest, reply: FastifyReply, page: Page, count: number, marker: string): void {
  if (count === 0 || count < page.limit) return;
  const options: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(request.query as Record<string, unknown>)) options[k] = list(v);
  options.limit = [String(page.limit)];
  options.sort = [...page.sorts];
  options.marker = [marker];
  const params = Object.keys(options)
    .sort()
    .flatMap((k) => options[k].map((v) => `${quotePlus(k)}=${quotePlus(v)}`))
    .join('&');
  const path = request.url.split('?')[0];
  reply.header('link', `<${request.baseUrl}${path}?${params}>; rel="next"`);
}
