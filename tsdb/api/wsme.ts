/**
 * The v2 APIs (Panko's events, Aodh's alarms) are WSME services: their
 * errors are `{"error_message": {"faultcode", "faultstring", "debuginfo"}}`
 * and their list filters come as `q.field` / `q.op` / `q.value` / `q.type`.
 */
import type { FastifyReply } from 'fastify';

/** A client error as WSME answers it: the status and the faultstring. */
export class WsmeError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'WsmeError';
  }
}

/** WSME's InvalidInput: "Invalid input for field/attribute F. Value: 'V'. MSG" */
export const invalidField = (field: string, value: unknown, msg: string): WsmeError =>
  new WsmeError(400, `Invalid input for field/attribute ${field}. Value: '${typeof value === 'string' ? value : JSON.stringify(value)}'. ${msg}`);

export function sendWsmeError(reply: FastifyReply, status: number, faultstring: string): FastifyReply {
  return reply
    .code(status)
    .type('application/json')
    .send({ error_message: { faultcode: status < 500 ? 'Client' : 'Server', faultstring, debuginfo: null } });
}

export type QueryString = Record<string, string | string[] | undefined>;

/** Every value of a query-string key, in order. */
export const allValues = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export interface QueryTerm {
  readonly field: string;
  /** 'eq' when not given */
  readonly op: string;
  readonly value: string;
  /** '' when not given */
  readonly type: string;
}

/** The q.* terms of a query string, in order. */
export function queryTerms(q: QueryString): QueryTerm[] {
  const fields = allValues(q['q.field']);
  const ops = allValues(q['q.op']);
  const values = allValues(q['q.value']);
  const types = allValues(q['q.type']);
  if (values.length !== fields.length) throw new WsmeError(400, 'Each q.field needs a q.value');
  return fields.map((field, i) => ({ field, op: ops[i] || 'eq', value: values[i], type: types[i] || '' }));
}
