/**
 * HTTP errors in Gnocchi's shape. Gnocchi (through webob) answers
 * `{"code", "title", "description"}` as JSON when the client accepts JSON, a
 * plain-text page when it sends no Accept header, and a small HTML page
 * otherwise; `description` is a string or an object such as
 * `{cause, reason, detail}`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { pythonJson } from './python-json.js';

export type ErrorDescription = string | Record<string, unknown>;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly description: ErrorDescription = '',
  ) {
    super(typeof description === 'string' ? description : JSON.stringify(description));
    this.name = 'HttpError';
  }
}

const TITLES: Record<number, [title: string, explanation: string]> = {
  400: ['Bad Request', 'The server could not comply with the request since it is either malformed or otherwise incorrect.'],
  401: ['Unauthorized', 'This server could not verify that you are authorized to access the document you requested.'],
  403: ['Forbidden', 'Access was denied to this resource.'],
  404: ['Not Found', 'The resource could not be found.'],
  405: ['Method Not Allowed', 'The method is not allowed for this resource.'],
  406: ['Not Acceptable', 'The resource could not be generated that was acceptable to your browser.'],
  409: ['Conflict', 'There was a conflict when trying to complete your request.'],
  412: ['Precondition Failed', 'Request conditions not met.'],
  415: ['Unsupported Media Type', 'The request media type is not supported by this server.'],
  500: ['Internal Server Error', 'The server has either erred or is incapable of performing the requested operation.'],
  503: ['Service Unavailable', 'The server is currently unavailable.'],
};

/** "Invalid input" as Gnocchi words a schema violation (voluptuous): reason "… @ data['a'][0]", detail the path. */
export function invalidInput(reason: string, path: readonly (string | number)[] = []): HttpError {
  const at = path.length ? ` @ data${path.map((p) => `['${String(p)}']`).join('')}` : '';
  // voluptuous prints list indexes bare: data['definition'][0]
  const where = at.replace(/\['(\d+)'\]/g, '[$1]');
  return new HttpError(400, { cause: 'Invalid input', reason: `${reason}${where}`, detail: path.map(String) });
}

/** Gnocchi's Location headers are absolute URLs. */
export function locationOf(request: FastifyRequest, path: string): string {
  return `${request.baseUrl}${path}`;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;');
}

export function sendError(request: FastifyRequest, reply: FastifyReply, err: HttpError): FastifyReply {
  const [title, explanation] = TITLES[err.status] ?? ['Error', ''];
  const accept = String(request.headers.accept ?? '');
  if (accept.includes('application/json')) {
    // serialised here: replies from the not-found handler bypass the app's serializer
    return reply.code(err.status).type('application/json').send(pythonJson({ code: err.status, title, description: err.description }));
  }
  const detail = typeof err.description === 'string' ? err.description : JSON.stringify(err.description);
  if (accept === '') {
    // no Accept header: webob's plain-text page, unescaped
    return reply.code(err.status).type('text/plain; charset=UTF-8').send(`${err.status} ${title}\n\n${explanation}\n\n ${detail}  `);
  }
  const html = `<html>\n <head>\n  <title>${err.status} ${title}</title>\n </head>\n <body>\n  <h1>${err.status} ${title}</h1>\n  ${explanation}<br /><br />\n${escapeHtml(detail)}\n\n\n </body>\n</html>`;
  return reply.code(err.status).type('text/html; charset=UTF-8').send(html);
}
