/**
 * The events API as Panko v2 serves it: `/v2/events` (filters in the
 * `q.field/q.op/q.value/q.type` form, limit, marker, sort), one event by
 * message id, event types, and trait descriptions and values per type.
 * Errors come in WSME's shape (`error_message.faultstring`), as Panko's do.
 * A member sees only events of its project (their `project_id` trait).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Event, EventFilter, TraitFilter, TraitOp, TraitType } from '../../index/events.js';
import { InvalidInputError } from '../../errors.js';
import { formatNaiveTimestamp, parseTimestamp } from '../../time.js';
import type { ApiDeps } from '../app.js';
import { WsmeError as ClientError, type QueryString as Query, allValues as all, queryTerms, sendWsmeError } from '../wsme.js';

/** Panko's api.default_api_return_limit */
const DEFAULT_LIMIT = 100;
const OPS = new Set<TraitOp>(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);
const TYPES = new Set<TraitType>(['string', 'integer', 'float', 'datetime']);

function timestampOf(value: string): number {
  try {
    return parseTimestamp('q.value', value);
  } catch {
    throw new ClientError(400, `Unable to convert the value ${value} to the expected data type datetime.`);
  }
}

function traitValue(type: TraitType, value: string): string | number {
  const bad = (): never => {
    throw new ClientError(400, `Unable to convert the value ${value} to the expected data type ${type}.`);
  };
  switch (type) {
    case 'integer':
      return /^\s*[-+]?\d+\s*$/.test(value) ? Number(value) : bad();
    case 'float':
      return Number.isFinite(Number(value)) && value.trim() !== '' ? Number(value) : bad();
    case 'datetime':
      return timestampOf(value);
    default:
      return value;
  }
}

/** Panko's _event_query_to_event_filter. */
function eventFilter(terms: ReturnType<typeof queryTerms>): EventFilter {
  const f: { eventType?: string; messageId?: string; start?: number; end?: number; traits: TraitFilter[] } = { traits: [] };
  for (const t of terms) {
    if (!OPS.has(t.op as TraitOp)) throw new ClientError(400, `Invalid input for field/attribute op. Value: '${t.op}'. unimplemented operator for ${t.field}`);
    if (t.field === 'event_type' || t.field === 'message_id') {
      if (t.op !== 'eq') throw new ClientError(400, `Operator ${t.op} is not supported. The supported operator is: eq`);
      if (t.field === 'event_type') f.eventType = t.value;
      else f.messageId = t.value;
      continue;
    }
    if (t.field === 'start_timestamp' || t.field === 'end_timestamp') {
      // every operator but ne: the bound is inclusive whichever is given (pankoclient always sends eq)
      if (t.op === 'ne') {
        throw new ClientError(400, `Operator ${t.op} is not supported. The supported operators are: ('lt', 'le', 'gt', 'ge')`);
      }
      if (t.field === 'start_timestamp') f.start = timestampOf(t.value);
      else f.end = timestampOf(t.value);
      continue;
    }
    const type = (t.type || 'string') as TraitType;
    if (!TYPES.has(type)) throw new ClientError(400, `The data type ${t.type} is not supported. The supported data type list is: ['integer', 'float', 'string', 'datetime']`);
    f.traits.push({ name: t.field, type, op: t.op as TraitOp, value: traitValue(type, t.value) });
  }
  return f;
}

function traitJson(t: { name: string; type: TraitType; value: string | number }): { name: string; type: TraitType; value: string } {
  return { name: t.name, type: t.type, value: t.type === 'datetime' ? formatNaiveTimestamp(t.value as number) : String(t.value) };
}

function eventJson(e: Event): Record<string, unknown> {
  return {
    message_id: e.messageId,
    event_type: e.eventType,
    generated: formatNaiveTimestamp(e.generated),
    traits: [...e.traits].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map(traitJson),
    raw: e.raw,
  };
}

/** A member's view: its project's events only. */
const projectOf = (request: FastifyRequest): string | undefined => (request.caller.isAdmin || !request.caller.hasProjects ? undefined : request.caller.projectId);

export async function eventRoutes(app: FastifyInstance, { index, v2Capabilities }: ApiDeps): Promise<void> {
  const events = index.events;
  const handle =
    <P>(fn: (request: FastifyRequest<{ Params: P }>) => Promise<unknown>) =>
    async (request: FastifyRequest<{ Params: P }>, reply: FastifyReply): Promise<FastifyReply> => {
      try {
        return reply.type('application/json').send(await fn(request));
      } catch (err) {
        if (err instanceof ClientError) return sendWsmeError(reply, err.status, err.message);
        if (err instanceof InvalidInputError) return sendWsmeError(reply, 400, err.message);
        throw err;
      }
    };

  app.get(
    '/v2/events',
    handle(async (request) => {
      const q = request.query as Query;
      const filter = { ...eventFilter(queryTerms(q)), projectId: projectOf(request) };
      const limitText = all(q.limit)[0];
      const limit = limitText === undefined ? DEFAULT_LIMIT : Number(limitText);
      if (!Number.isInteger(limit) || limit <= 0) throw new ClientError(400, 'Limit must be positive');
      const marker = all(q.marker)[0];
      return (await events.list(filter, { limit, marker, sorts: all(q.sort) })).map(eventJson);
    }),
  );

  app.get(
    '/v2/events/:messageId',
    handle<{ messageId: string }>(async (request) => {
      const e = await events.get(request.params.messageId, projectOf(request));
      if (!e) throw new ClientError(404, `Event ${request.params.messageId} Not Found`);
      return eventJson(e);
    }),
  );

  app.get(
    '/v2/event_types',
    handle(async (request) => events.eventTypes(projectOf(request))),
  );

  app.get(
    '/v2/event_types/:type/traits',
    handle<{ type: string }>(async (request) => events.traitTypes(request.params.type, projectOf(request))),
  );

  app.get(
    '/v2/event_types/:type/traits/:name',
    handle<{ type: string; name: string }>(async (request) => (await events.traitValues(request.params.type, request.params.name, projectOf(request))).map(traitJson)),
  );

  app.get(
    '/v2/capabilities',
    // Panko's, and Aodh's when the alarms are served here too
    handle(async () => {
      const out: Record<string, Record<string, boolean>> = { api: { 'events:query:simple': true }, event_storage: { 'storage:production_ready': true } };
      for (const [section, flags] of Object.entries(v2Capabilities ?? {})) out[section] = { ...out[section], ...flags };
      return out;
    }),
  );
}
