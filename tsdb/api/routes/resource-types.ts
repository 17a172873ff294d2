/** `/v1/resource_type`: resource types, changed with JSON patches. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InvalidInputError } from '../../errors.js';
import { type AttributeDefinition, InvalidResourceAttribute, parseAttribute } from '../../index/resource-type-schema.js';
import type { NewAttribute } from '../../index/resource-types.js';
import type { ApiDeps } from '../app.js';
import { requireAdmin } from '../auth.js';
import { HttpError, invalidInput, locationOf } from '../http-error.js';
import { fromInvalidInput } from '../validation.js';
import { isObject } from '../../json-object.js';


/** Definition errors: voluptuous-style "Invalid input" objects, or Gnocchi's "Invalid input: …" strings. */
function badAttribute(err: unknown): never {
  if (err instanceof InvalidResourceAttribute) throw new HttpError(400, `Invalid input: ${err.message}`);
  if (err instanceof InvalidInputError) throw fromInvalidInput(err);
  throw err;
}

function parseAttributes(raw: unknown, forUpdate: boolean): Map<string, ReturnType<typeof parseAttribute>> {
  if (raw === undefined) return new Map();
  if (!isObject(raw)) throw invalidInput('expected a dictionary for dictionary value', ['attributes']);
  const out = new Map<string, ReturnType<typeof parseAttribute>>();
  try {
    for (const [name, def] of Object.entries(raw)) out.set(name, parseAttribute(name, def, forUpdate));
  } catch (err) {
    badAttribute(err);
  }
  return out;
}

/** RFC 6902 add/remove on `/attributes/<name>`, with python-jsonpatch's messages. */
function applyPatch(attributes: Record<string, unknown>, patch: unknown): Record<string, unknown> {
  if (!Array.isArray(patch)) throw invalidInput('expected a list');
  const next: Record<string, unknown> = { ...attributes };
  patch.forEach((op, i) => {
    if (!isObject(op)) throw invalidInput('expected a dictionary', [i]);
    for (const k of Object.keys(op)) if (!['op', 'path', 'value'].includes(k)) throw invalidInput('extra keys not allowed', [i, k]);
    if (op.op !== 'add' && op.op !== 'remove') throw invalidInput('not a valid value for dictionary value', [i, 'op']);
    if (typeof op.path !== 'string' || !op.path.startsWith('/attributes')) throw invalidInput('not a valid value for dictionary value', [i, 'path']);
    if (op.value !== undefined && !isObject(op.value)) throw invalidInput('expected a dictionary for dictionary value', [i, 'value']);
  });
  for (const op of patch as { op: 'add' | 'remove'; path: string; value?: unknown }[]) {
    const parts = op.path.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (parts.length !== 2) throw new HttpError(400, `Invalid input: Only attributes can be modified`);
    const name = parts[1];
    if (op.op === 'add') next[name] = op.value;
    else {
      if (!(name in next)) throw new HttpError(400, `can't remove a non-existent object '${name}'`);
      delete next[name];
    }
  }
  return next;
}

const adminOnly = async (request: FastifyRequest): Promise<void> => requireAdmin(request.caller);

export async function resourceTypeRoutes(app: FastifyInstance, { index }: ApiDeps): Promise<void> {
  const types = index.resourceTypes;

  app.get('/v1/resource_type', async () => types.list());

  app.post('/v1/resource_type', { preValidation: adminOnly }, async (request, reply) => {
    const body = request.body;
    if (!isObject(body)) throw invalidInput('expected a dictionary');
    for (const k of Object.keys(body)) if (k !== 'name' && k !== 'attributes') throw invalidInput('extra keys not allowed', [k]);
    if (typeof body.name !== 'string') throw invalidInput(body.name === undefined ? 'required key not provided' : 'expected str for dictionary value', ['name']);
    const attributes: Record<string, AttributeDefinition> = {};
    for (const [name, { definition }] of parseAttributes(body.attributes, false)) attributes[name] = definition;
    const rt = await types.create(body.name, attributes);
    return reply.code(201).header('location', locationOf(request, `/v1/resource_type/${encodeURIComponent(rt.name)}`)).send(rt);
  });

  app.get<{ Params: { name: string } }>('/v1/resource_type/:name', async (request) => types.get(request.params.name));

  app.patch<{ Params: { name: string } }>('/v1/resource_type/:name', { preValidation: adminOnly }, async (request) => {
    const rt = await types.get(request.params.name);
    if (!String(request.headers['content-type'] ?? '').startsWith('application/json-patch+json')) throw new HttpError(415);
    const next = applyPatch(rt.attributes, request.body);
    // the whole patched type must be well formed, replaced attributes too
    for (const [name, def] of Object.entries(next)) {
      try {
        parseAttribute(name, def, true);
      } catch (err) {
        if (!(err instanceof InvalidResourceAttribute)) badAttribute(err);
      }
    }
    const added = Object.keys(next).filter((k) => !(k in rt.attributes));
    const removed = Object.keys(rt.attributes).filter((k) => !(k in next));
    if (added.length === 0 && removed.length === 0) return rt;
    const parsed = parseAttributes(Object.fromEntries(added.map((k) => [k, next[k]])), true);
    const add: NewAttribute[] = [...parsed].map(([name, { definition, fill }]) => ({ name, definition, fill: fill ?? null }));
    return types.update(rt.name, add, removed);
  });

  app.delete<{ Params: { name: string } }>('/v1/resource_type/:name', async (request, reply) => {
    await types.get(request.params.name);
    requireAdmin(request.caller);
    await types.delete(request.params.name);
    return reply.code(204).send();
  });
}
