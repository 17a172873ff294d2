/**
 * The URL clients reach the API at, for Location and Link headers and the
 * version document. Behind a reverse proxy (enable_proxy_headers_parsing),
 * the proxy's `Forwarded` (RFC 7239) or X-Forwarded-Proto/-Host/-Prefix
 * headers say it, as oslo.middleware's http_proxy_to_wsgi reads them.
 */
import type { FastifyRequest } from 'fastify';

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v)?.split(',')[0]?.trim() || undefined;

export function baseUrlOf(request: FastifyRequest, trustProxy: boolean): string {
  let proto: string = request.protocol;
  let host = request.headers.host ?? '127.0.0.1';
  let prefix = '';
  if (trustProxy) {
    const forwarded = first(request.headers.forwarded);
    if (forwarded) {
      for (const pair of forwarded.split(';')) {
        const [k, v = ''] = pair.split('=');
        const value = v.trim().replace(/^"(.*)"$/, '$1');
        if (k.trim().toLowerCase() === 'proto' && value) proto = value;
        if (k.trim().toLowerCase() === 'host' && value) host = value;
      }
    } else {
      proto = first(request.headers['x-forwarded-proto']) ?? proto;
      host = first(request.headers['x-forwarded-host']) ?? host;
    }
    prefix = (first(request.headers['x-forwarded-prefix']) ?? '').replace(/\/$/, '');
  }
  return `${proto}://${host}${prefix}`;
}
