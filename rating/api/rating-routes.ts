/**
 * CloudKitty 17's rating API, v1: the rating modules (`/v1/rating/modules`)
 * and the hashmap module's configuration (`/v1/rating/module_config/hashmap`:
 * mapping types, services, fields, groups, mappings, thresholds), answering
 * as CloudKitty does: its statuses, its error bodies and texts, its key
 * order, its decimals. Admin only, as CloudKitty's policies say; see
 * rating/README.md for where tally answers otherwise.
 *
 * Register it encapsulated (`app.register(ratingRoutes, deps)`): it sets its
 * own JSON parser and error handler, which must not reach the other APIs.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError, sendError } from '../../tsdb/api/http-error.js';
import { pythonFloat, pythonJson } from '../../tsdb/api/python-json.js';
import { Decimal } from '../decimal.js';
import { type UsagePoint, pricePoint, pricingTable } from '../hashmap/pricing.js';
import { HashMapError } from '../hashmap/errors.js';
import type { RuleFilter } from '../hashmap/hashmap-store.js';
import { MAP_TYPES, type MapType } from '../hashmap/model.js';
import type { RatingApiDeps } from './deps.js';
import { fieldJson, groupJson, mappingJson, moduleJson, serviceJson, thresholdJson } from './rating-json.js';
import { type AttrDef, type AttrValue, CkError, type QueryString, invalidInput, missingArgument, queryFlag, readBody, readQuery } from './wsme-input.js';

const MODULES = '/v1/rating/modules';
const CONFIG = '/v1/rating/module_config';
const H = `${CONFIG}/hashmap`;
/** the modules tally offers, in CloudKitty's order */
const MODULE_NAMES = ['hashmap', 'noop'];

const SERVICE: readonly AttrDef[] = [
  { name: 'service_id', kind: 'uuid' },
  { name: 'name', kind: 'text', mandatory: true },
];
const FIELD: readonly AttrDef[] = [
  { name: 'field_id', kind: 'uuid' },
  { name: 'name', kind: 'text', mandatory: true },
  { name: 'service_id', kind: 'uuid', mandatory: true },
];
const GROUP: readonly AttrDef[] = [
  { name: 'group_id', kind: 'uuid' },
  { name: 'name', kind: 'text', mandatory: true },
];
const MAPPING: readonly AttrDef[] = [
  { name: 'mapping_id', kind: 'uuid' },
  { name: 'value', kind: 'text' },
  { name: 'type', kind: 'map-type' },
  { name: 'cost', kind: 'decimal', mandatory: true },
  { name: 'service_id', kind: 'uuid' },
  { name: 'field_id', kind: 'uuid' },
  { name: 'group_id', kind: 'uuid' },
  { name: 'tenant_id', kind: 'text' },
];
const THRESHOLD: readonly AttrDef[] = [
  { name: 'threshold_id', kind: 'uuid' },
  { name: 'level', kind: 'decimal', mandatory: true },
  { name: 'type', kind: 'map-type' },
  { name: 'cost', kind: 'decimal', mandatory: true },
  { name: 'service_id', kind: 'uuid' },
  { name: 'field_id', kind: 'uuid' },
  { name: 'group_id', kind: 'uuid' },
  { name: 'tenant_id', kind: 'text' },
];
const MODULE: readonly AttrDef[] = [
  { name: 'module_id', kind: 'text', mandatory: true },
  { name: 'description', kind: 'text' },
  { name: 'enabled', kind: 'bool' },
  { name: 'hot-config', kind: 'bool' },
  { name: 'priority', kind: 'int' },
];
const RULE_FILTERS = ['service_id', 'field_id', 'group_id', 'no_group', 'tenant_id', 'filter_tenant'];

const STATUS_OF_KIND = { 'not-found': 404, conflict: 409, invalid: 400 } as const;

type Params = Record<string, string>;

function sendCk(reply: FastifyReply, status: number, faultstring: string): FastifyReply {
  return reply
    .code(status)
    .type('application/json')
    .send(pythonJson({ faultcode: status < 500 ? 'Client' : 'Server', faultstring, debuginfo: null }));
}

const json = (reply: FastifyReply, body: unknown, status = 200): FastifyReply => reply.code(status).type('application/json').send(pythonJson(body));

/** The request's URL without its query string, absolute, as Location headers carry it. */
const requestUrl = (request: FastifyRequest): string => `${request.baseUrl}${request.url.split('?')[0]}`;

/** 201 with the new resource's URL: the collection's URL and the id. */
function created(request: FastifyRequest, reply: FastifyReply, id: string, body: unknown): FastifyReply {
  const base = requestUrl(request);
  reply.header('location', `${base}${base.endsWith('/') ? '' : '/'}${id}`);
  return json(reply, body, 201);
}

/** Module configuration is admin only (policy rule:module_config); CloudKitty refuses it before routing, in webob's shape. */
function requireConfigAccess(request: FastifyRequest): void {
  if (!request.caller?.isAdmin) throw new HttpError(403, "Policy doesn't allow rating:module_config to be performed.");
}

/** The modules' own policies, checked inside the handlers: WSME's shape. */
function requirePolicy(request: FastifyRequest, action: string): void {
  if (!request.caller?.isAdmin) throw new CkError(403, `Policy doesn't allow ${action} to be performed.`);
}

const text = (v: AttrValue | undefined): string | null => (typeof v === 'string' ? v : null);
const decimalOf = (v: AttrValue | undefined): { decimal: Decimal; shown: string } => {
  if (v === null || v === undefined || typeof v !== 'object') throw new Error('a mandatory decimal is missing');
  return v;
};

/** A decimal at its column's precision and scale, or the clear error CloudKitty does not give (it says "No mapping type: flat"). */
function columnValue(name: string, v: { decimal: Decimal; shown: string }, precision: number, scale: number): Decimal {
  const d = v.decimal.toColumn(precision, scale);
  if (d === null) throw invalidInput(name, v.shown, `More than ${precision - scale} digits before the decimal point.`);
  return d;
}

const cost = (body: Map<string, AttrValue>): Decimal => columnValue('cost', decimalOf(body.get('cost')), 40, 28);
const level = (body: Map<string, AttrValue>): Decimal => columnValue('level', decimalOf(body.get('level')), 20, 8);
const mapType = (body: Map<string, AttrValue>): MapType => (body.get('type') as MapType | undefined) ?? 'flat';

/** A DELETE's id: from the path, or from a JSON body as CloudKitty's client sends it ({"service_id": …}). */
function deleteArgs(request: FastifyRequest, idName: string, extra: readonly string[] = []): { id: string; body: Record<string, unknown> } {
  readQuery(request.query as QueryString, extra);
  const body = (request.body ?? {}) as Record<string, unknown>;
  if (typeof body !== 'object' || Array.isArray(body)) throw invalidInput(idName, body, 'Expected a JSON object.');
  const unknown = Object.keys(body).filter((k) => k !== idName && !extra.includes(k));
  if (unknown.length > 0) throw new CkError(400, `Unknown argument: "${unknown.join(', ')}"`);
  const id = (request.params as Params).id ?? body[idName];
  if (typeof id !== 'string' || id === '') throw missingArgument(idName);
  return { id, body };
}

export async function ratingRoutes(app: FastifyInstance, deps: RatingApiDeps): Promise<void> {
  const { store } = deps;

  // CloudKitty's words for a body that is not JSON
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, body === '' ? undefined : JSON.parse(body as string));
    } catch {
      done(new CkError(400, 'Request is not in valid JSON format'), undefined);
    }
  });

  app.setErrorHandler((err, request, reply) => {
    if (err instanceof CkError) return sendCk(reply, err.status, err.message);
    if (err instanceof HashMapError) return sendCk(reply, STATUS_OF_KIND[err.kind], err.message);
    if (err instanceof HttpError) return sendError(request, reply, err);
    const fe = err as { statusCode?: number; message?: string };
    if (fe.statusCode !== undefined && fe.statusCode < 500) return sendCk(reply, fe.statusCode, fe.message ?? '');
    request.log.error(err);
    return sendCk(reply, 500, 'Internal error.');
  });

  // -- the rating modules

  const moduleState = async (name: string) => {
    const state = MODULE_NAMES.includes(name) ? await store.moduleState(name) : null;
    if (!state) throw new CkError(404, 'Module not found.');
    return state;
  };

  app.get(MODULES, async (request, reply) => {
    readQuery(request.query as QueryString, []);
    requirePolicy(request, 'rating:list_modules');
    const modules = [];
    for (const name of MODULE_NAMES) modules.push(moduleJson(await moduleState(name)));
    return json(reply, { modules });
  });

  app.get(`${MODULES}/:id`, async (request, reply) => {
    readQuery(request.query as QueryString, []);
    requirePolicy(request, 'rating:get_module');
    return json(reply, moduleJson(await moduleState((request.params as Params).id)));
  });

  app.put(`${MODULES}/:id`, async (request, reply) => {
    const body = readBody(request.body, 'module', MODULE);
    requirePolicy(request, 'rating:update_module');
    const state = await moduleState((request.params as Params).id);
    const enabled = body.get('enabled');
    const priority = body.get('priority');
    await store.setModuleState({
      name: state.name,
      enabled: typeof enabled === 'boolean' ? enabled : state.enabled,
      priority: typeof priority === 'number' ? priority : state.priority,
    });
    reply.header('location', requestUrl(request));
    return json(reply, null, 302);
  });

  // an instant quote: what the enabled modules make of usage points now, with the rules no project owns
  // (CloudKitty asks its processor over the bus; the price is the same function here). Anyone may ask.
  app.post('/v1/rating/quote', async (request, reply) => {
    const resources = quoteResources(request.body);
    const state = await store.moduleState('hashmap');
    let total = Decimal.int(0);
    if (state?.enabled !== false) {
      const table = pricingTable(await store.rules(), null);
      for (const r of resources) total = total.add(pricePoint(table, r));
    }
    // WSME answers a float: 0.5, 2.0
    return reply.code(200).type('application/json').send(pythonFloat(Number(total.toString())));
  });

  // the noop module has no configuration; any other name is no module at all (CloudKitty: 405)
  const unconfigurable = async (request: FastifyRequest, reply: FastifyReply) => {
    const module = (request.params as Params).module;
    if (module === 'noop') return sendCk(reply, 409, 'Module is not configurable');
    return sendError(request, reply, new HttpError(405, ''));
  };
  app.all(`${CONFIG}/:module`, unconfigurable);
  app.all(`${CONFIG}/:module/*`, unconfigurable);

  // -- hashmap: everything below is admin only
  const route = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, handler: (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>) =>
    app.route({
      method,
      url: `${H}${url}`,
      handler: async (request, reply) => {
        requireConfigAccess(request);
        return handler(request, reply);
      },
    });
  const noQuery = (request: FastifyRequest): void => {
    readQuery(request.query as QueryString, []);
  };
  const id = (request: FastifyRequest): string => (request.params as Params).id;

  route('GET', '/types', async (request, reply) => {
    noQuery(request);
    return json(reply, MAP_TYPES);
  });

  /** The list, one, and creation routes of services and of groups: rows of a unique name. */
  function namedRoutes<T>(path: '/services' | '/groups', o: { listKey: string; bodyArg: string; attrs: readonly AttrDef[]; list: () => Promise<T[]>; get: (id: string) => Promise<T>; create: (name: string) => Promise<T>; idOf: (row: T) => string; json: (row: T) => unknown }): void {
    route('GET', path, async (request, reply) => {
      noQuery(request);
      return json(reply, { [o.listKey]: (await o.list()).map(o.json) });
    });
    route('GET', `${path}/:id`, async (request, reply) => {
      noQuery(request);
      return json(reply, o.json(await o.get(id(request))));
    });
    route('POST', path, async (request, reply) => {
      const body = readBody(request.body, o.bodyArg, o.attrs);
      const name = text(body.get('name'));
      if (name === null) throw invalidInput('name', undefined, 'Mandatory field missing.');
      const row = await o.create(name);
      return created(request, reply, o.idOf(row), o.json(row));
    });
  }

  // services
  namedRoutes('/services', {
    listKey: 'services', bodyArg: 'service_data', attrs: SERVICE, json: serviceJson, idOf: (r) => r.serviceId,
    list: () => store.listServices(), get: (i) => store.getService(i), create: (n) => store.createService(n),
  });
  const deleteService = async (request: FastifyRequest, reply: FastifyReply) => {
    await store.deleteService(deleteArgs(request, 'service_id').id);
    return reply.code(204).send();
  };
  route('DELETE', '/services/:id', deleteService);
  route('DELETE', '/services', deleteService);
  route('GET', '/services/:id/fields', async (request, reply) => {
    noQuery(request);
    return json(reply, { fields: (await store.listFields(id(request))).map(fieldJson) });
  });
  route('GET', '/services/:id/mappings', async (request, reply) => {
    const q = readQuery(request.query as QueryString, RULE_FILTERS.filter((k) => k !== 'service_id'));
    return json(reply, { mappings: (await store.listMappings(ruleFilter(new Map([...q, ['service_id', id(request)]])))).map(mappingJson) });
  });

  // fields
  route('GET', '/fields', async (request, reply) => {
    const serviceId = readQuery(request.query as QueryString, ['service_id']).get('service_id');
    if (serviceId === undefined) throw missingArgument('service_id');
    return json(reply, { fields: (await store.listFields(serviceId)).map(fieldJson) });
  });
  route('GET', '/fields/:id', async (request, reply) => {
    noQuery(request);
    return json(reply, fieldJson(await store.getField(id(request))));
  });
  route('POST', '/fields', async (request, reply) => {
    const body = readBody(request.body, 'field_data', FIELD);
    const name = text(body.get('name'));
    const serviceId = text(body.get('service_id'));
    if (name === null) throw invalidInput('name', undefined, 'Mandatory field missing.');
    if (serviceId === null) throw invalidInput('service_id', undefined, 'Mandatory field missing.');
    const field = await store.createField(serviceId, name);
    return created(request, reply, field.fieldId, fieldJson(field));
  });
  const deleteField = async (request: FastifyRequest, reply: FastifyReply) => {
    await store.deleteField(deleteArgs(request, 'field_id').id);
    return reply.code(204).send();
  };
  route('DELETE', '/fields/:id', deleteField);
  route('DELETE', '/fields', deleteField);

  // groups
  namedRoutes('/groups', {
    listKey: 'groups', bodyArg: 'group_data', attrs: GROUP, json: groupJson, idOf: (r) => r.groupId,
    list: () => store.listGroups(), get: (i) => store.getGroup(i), create: (n) => store.createGroup(n),
  });
  const deleteGroup = async (request: FastifyRequest, reply: FastifyReply) => {
    const { id: groupId, body } = deleteArgs(request, 'group_id', ['recursive']);
    const fromQuery = (request.query as QueryString).recursive;
    const recursive = body.recursive !== undefined ? body.recursive === true || body.recursive === 1 : queryFlag(Array.isArray(fromQuery) ? fromQuery[fromQuery.length - 1] : fromQuery);
    await store.deleteGroup(groupId, recursive);
    return reply.code(204).send();
  };
  route('DELETE', '/groups/:id', deleteGroup);
  route('DELETE', '/groups', deleteGroup);
  const groupRules = (kind: 'mappings' | 'thresholds') => async (request: FastifyRequest, reply: FastifyReply) => {
    const q = readQuery(request.query as QueryString, (request.params as Params).id === undefined ? ['group_id'] : []);
    const groupId = (request.params as Params).id ?? q.get('group_id');
    if (groupId === undefined) throw missingArgument('group_id');
    if (kind === 'mappings') return json(reply, { mappings: (await store.listMappings({ groupId })).map(mappingJson) });
    return json(reply, { thresholds: (await store.listThresholds({ groupId })).map(thresholdJson) });
  };
  route('GET', '/groups/mappings', groupRules('mappings'));
  route('GET', '/groups/:id/mappings', groupRules('mappings'));
  route('GET', '/groups/thresholds', groupRules('thresholds'));
  route('GET', '/groups/:id/thresholds', groupRules('thresholds'));

  // mappings and thresholds: their filters, their group
  function ruleFilter(q: Map<string, string>): RuleFilter {
    const filterTenant = queryFlag(q.get('filter_tenant'));
    return {
      serviceId: q.get('service_id') || undefined,
      fieldId: q.get('field_id') || undefined,
      groupId: q.get('group_id') || undefined,
      noGroup: queryFlag(q.get('no_group')),
      // without filter_tenant, tenant_id filters nothing; with it and no tenant_id: the rules without project
      tenantId: filterTenant ? (q.get('tenant_id') ?? null) : undefined,
    };
  }
  const groupOf = (idName: string, lookup: (id: string) => Promise<{ groupId: string; name: string }>) => async (request: FastifyRequest, reply: FastifyReply) => {
    const q = readQuery(request.query as QueryString, (request.params as Params).id === undefined ? [idName] : []);
    const ruleId = (request.params as Params).id ?? q.get(idName);
    if (ruleId === undefined) throw missingArgument(idName);
    return json(reply, groupJson(await lookup(ruleId)));
  };
  /** An update's id: the path's, or the body's as CloudKitty's client sends it (PUT …/mappings/ with the whole mapping). */
  const updateId = (request: FastifyRequest, idName: string): string => {
    const fromBody = (request.body as Record<string, unknown> | undefined)?.[idName];
    const ruleId = (request.params as Params).id ?? (typeof fromBody === 'string' ? fromBody : undefined);
    if (ruleId === undefined) throw missingArgument(idName);
    return ruleId;
  };

  route('GET', '/mappings', async (request, reply) => {
    const q = readQuery(request.query as QueryString, RULE_FILTERS);
    return json(reply, { mappings: (await store.listMappings(ruleFilter(q))).map(mappingJson) });
  });
  route('GET', '/mappings/group', groupOf('mapping_id', (m) => store.groupOfMapping(m)));
  route('GET', '/mappings/:id/group', groupOf('mapping_id', (m) => store.groupOfMapping(m)));
  route('GET', '/mappings/:id', async (request, reply) => {
    noQuery(request);
    return json(reply, mappingJson(await store.getMapping(id(request))));
  });
  route('POST', '/mappings', async (request, reply) => {
    const body = readBody(request.body, 'mapping_data', MAPPING);
    const mapping = await store.createMapping({
      // absent: '' (CloudKitty's default); null stays null
      value: body.has('value') ? text(body.get('value')) : '',
      type: mapType(body),
      cost: cost(body),
      serviceId: text(body.get('service_id')),
      fieldId: text(body.get('field_id')),
      groupId: text(body.get('group_id')),
      tenantId: text(body.get('tenant_id')),
    });
    return created(request, reply, mapping.mappingId, mappingJson(mapping));
  });
  const updateMapping = async (request: FastifyRequest, reply: FastifyReply) => {
    const body = readBody(request.body, 'mapping', MAPPING);
    const mappingId = updateId(request, 'mapping_id');
    noQuery(request);
    // the whole mapping is set: what the body leaves out takes CloudKitty's defaults (the service and field stay)
    await store.updateMapping(mappingId, {
      value: body.has('value') ? text(body.get('value')) : '',
      type: mapType(body),
      cost: cost(body),
      groupId: text(body.get('group_id')),
      tenantId: text(body.get('tenant_id')),
    });
    reply.header('location', requestUrl(request));
    return reply.code(302).send();
  };
  route('PUT', '/mappings/:id', updateMapping);
  route('PUT', '/mappings', updateMapping);
  const deleteMapping = async (request: FastifyRequest, reply: FastifyReply) => {
    await store.deleteMapping(deleteArgs(request, 'mapping_id').id);
    return reply.code(204).send();
  };
  route('DELETE', '/mappings/:id', deleteMapping);
  route('DELETE', '/mappings', deleteMapping);

  route('GET', '/thresholds', async (request, reply) => {
    const q = readQuery(request.query as QueryString, RULE_FILTERS);
    return json(reply, { thresholds: (await store.listThresholds(ruleFilter(q))).map(thresholdJson) });
  });
  route('GET', '/thresholds/group', groupOf('threshold_id', (t) => store.groupOfThreshold(t)));
  route('GET', '/thresholds/:id/group', groupOf('threshold_id', (t) => store.groupOfThreshold(t)));
  route('GET', '/thresholds/:id', async (request, reply) => {
    noQuery(request);
    return json(reply, thresholdJson(await store.getThreshold(id(request))));
  });
  route('POST', '/thresholds', async (request, reply) => {
    const body = readBody(request.body, 'threshold_data', THRESHOLD);
    const threshold = await store.createThreshold({
      level: level(body),
      levelShown: decimalOf(body.get('level')).shown,
      type: mapType(body),
      cost: cost(body),
      serviceId: text(body.get('service_id')),
      fieldId: text(body.get('field_id')),
      groupId: text(body.get('group_id')),
      tenantId: text(body.get('tenant_id')),
    });
    return created(request, reply, threshold.thresholdId, thresholdJson(threshold));
  });
  const updateThreshold = async (request: FastifyRequest, reply: FastifyReply) => {
    const body = readBody(request.body, 'threshold', THRESHOLD);
    const thresholdId = updateId(request, 'threshold_id');
    noQuery(request);
    await store.updateThreshold(thresholdId, {
      level: level(body),
      type: mapType(body),
      cost: cost(body),
      groupId: text(body.get('group_id')),
      tenantId: text(body.get('tenant_id')),
    });
    reply.header('location', requestUrl(request));
    return reply.code(302).send();
  };
  route('PUT', '/thresholds/:id', updateThreshold);
  route('PUT', '/thresholds', updateThreshold);
  const deleteThreshold = async (request: FastifyRequest, reply: FastifyReply) => {
    await store.deleteThreshold(deleteArgs(request, 'threshold_id').id);
    return reply.code(204).send();
  };
  route('DELETE', '/thresholds/:id', deleteThreshold);
  route('DELETE', '/thresholds', deleteThreshold);
}

/** A string-valued mapping of a quoted resource's desc (CloudKitty reads only desc.groupby and desc.metadata). */
function textMap(v: unknown, field: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new CkError(400, `Invalid input for field/attribute ${field}. Value: '${JSON.stringify(v)}'. Value should be a mapping`);
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, typeof x === 'string' ? x : JSON.stringify(x)]));
}

/** The body of POST /v1/rating/quote: {"resources": [{"service", "desc": {"groupby", "metadata"}, "volume"}]}. */
function quoteResources(body: unknown): UsagePoint[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw missingArgument('res_data');
  const list = (body as { resources?: unknown }).resources;
  if (!Array.isArray(list)) throw new CkError(400, `Invalid input for field/attribute resources. Value: '${JSON.stringify(list ?? null)}'. Value should be a list`);
  return list.map((r: unknown, i): UsagePoint => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) throw new CkError(400, `Invalid input for field/attribute resources[${i}]. Value should be an object`);
    const { service, desc, volume } = r as { service?: unknown; desc?: unknown; volume?: unknown };
    if (typeof service !== 'string' || service === '') throw new CkError(400, `Invalid input for field/attribute resources[${i}].service. Value: '${JSON.stringify(service ?? null)}'. Value should be a service name`);
    const qty = typeof volume === 'number' ? Decimal.fromNumber(volume) : typeof volume === 'string' ? Decimal.parse(volume) : null;
    if (qty === null) throw new CkError(400, `Invalid input for field/attribute resources[${i}].volume. Value: '${JSON.stringify(volume ?? null)}'. Value should be a number`);
    const d = desc === undefined || desc === null ? {} : desc;
    if (typeof d !== 'object' || Array.isArray(d)) throw new CkError(400, `Invalid input for field/attribute resources[${i}].desc. Value should be a mapping`);
    const { groupby, metadata } = d as { groupby?: unknown; metadata?: unknown };
    return { service, qty, groupby: textMap(groupby, `resources[${i}].desc.groupby`), metadata: textMap(metadata, `resources[${i}].desc.metadata`) };
  });
}
