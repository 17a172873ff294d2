/**
 * A resource's ETag and Last-Modified, and the conditional requests on them
 * (If-Match, If-None-Match, If-(Un)Modified-Since) in the order Gnocchi
 * checks them: 412 for a failed precondition, 304 for a GET not modified.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Resource } from '../index/resources.js';
import { resourceEtag } from './format.js';
import { HttpError } from './http-error.js';

/** Entity tags of webob's If-Match / If-None-Match: "*" or quoted, possibly weak, values. */
function etagsOf(header: string | undefined): string[] | undefined {
  if (header === undefined) return undefined;
  return header.split(',').map((t) => t.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1'));
}
const httpDate = (us: number): string => new Date(Math.floor(us / 1e6) * 1000).toUTCString();

/** RFC 7232 preconditions on a resource's ETag and Last-Modified, in Gnocchi's order. */
export function checkPreconditions(request: FastifyRequest, r: Resource): void {
  const etag = resourceEtag(r);
  const lastModified = Math.floor(r.revisionStart / 1e6) * 1000;
  const ifMatch = etagsOf(request.headers['if-match']);
  const ifNoneMatch = etagsOf(request.headers['if-none-match']);
  const since = (h: string | undefined): number | undefined => (h === undefined || Number.isNaN(Date.parse(h)) ? undefined : Date.parse(h));
  const unmodifiedSince = since(request.headers['if-unmodified-since']);
  const modifiedSince = since(request.headers['if-modified-since']);
  const readOnly = request.method === 'GET' || request.method === 'HEAD';
  if (ifMatch && !ifMatch.includes('*') && !ifMatch.includes(etag)) throw new HttpError(412);
  if (!ifMatch && unmodifiedSince !== undefined && unmodifiedSince < lastModified) throw new HttpError(412);
  if (ifNoneMatch && (ifNoneMatch.includes('*') || ifNoneMatch.includes(etag))) throw new HttpError(readOnly ? 304 : 412);
  if (!ifNoneMatch && modifiedSince !== undefined && modifiedSince >= lastModified && readOnly) throw new HttpError(304);
}

export function withEtag(reply: FastifyReply, r: Resource): FastifyReply {
  return reply.header('etag', `"${resourceEtag(r)}"`).header('last-modified', httpDate(r.revisionStart));
}
