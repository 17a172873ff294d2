/** `/v1/archive_policy` and `/v1/archive_policy_rule`. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type ArchivePolicyInput, makeArchivePolicy, makeItem } from '../../archive-policy.js';
import { InvalidInputError } from '../../errors.js';
import { NoSuchArchivePolicy, NoSuchArchivePolicyRule } from '../../index/errors.js';
import type { ApiDeps } from '../app.js';
import { requireAdmin } from '../auth.js';
import { archivePolicyJson } from '../format.js';
import { HttpError, locationOf } from '../http-error.js';
import { fromInvalidInput } from '../validation.js';

const timespanValue = { type: ['string', 'number'] };
const definitionSchema = {
  type: 'array',
  minItems: 1,
  items: {
    type: 'object',
    additionalProperties: false,
    // points may come as a string of digits: Gnocchi coerces it (Coerce(int))
    properties: { granularity: timespanValue, points: { type: ['integer', 'string'], pattern: '^[0-9]+$', minimum: 1 }, timespan: timespanValue },
  },
};

type DefinitionInput = ArchivePolicyInput['definition'];

function coercePoints(definition: DefinitionInput): DefinitionInput {
  return definition.map((d) => (typeof d.points === 'string' ? { ...d, points: Number(d.points) } : d));
}

const createSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'definition'],
  properties: {
    name: { type: 'string', minLength: 1 },
    back_window: { type: 'integer', minimum: 0 },
    aggregation_methods: { type: 'array', items: { type: 'string' } },
    definition: definitionSchema,
  },
};

const ruleSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'metric_pattern', 'archive_policy_name'],
  properties: { name: { type: 'string', minLength: 1 }, metric_pattern: { type: 'string' }, archive_policy_name: { type: 'string' } },
};

/** Domain validation errors become 400 "Invalid input" for schema-ish fields, plain 400 otherwise, as Gnocchi. */
function badDefinition(err: unknown): never {
  if (err instanceof InvalidInputError) {
    if (/timespan ≠|should be > 0|Calculated number|At least two|microseconds|More than one/.test(err.message)) {
      throw new HttpError(400, err.reason);
    }
    throw fromInvalidInput(err);
  }
  throw err;
}

/** Authorization comes before body validation, as in Gnocchi. */
const adminOnly = async (request: FastifyRequest): Promise<void> => requireAdmin(request.caller);

export async function archivePolicyRoutes(app: FastifyInstance, { engine, index }: ApiDeps): Promise<void> {
  const policies = index.archivePolicies;

  app.post('/v1/archive_policy', { schema: { body: createSchema }, preValidation: adminOnly }, async (request, reply) => {
    let policy;
    try {
      const body = request.body as ArchivePolicyInput;
      policy = makeArchivePolicy({ ...body, definition: coercePoints(body.definition) });
    } catch (err) {
      badDefinition(err);
    }
    await policies.create(policy);
    return reply.code(201).header('location', locationOf(request, `/v1/archive_policy/${encodeURIComponent(policy.name)}`)).send(archivePolicyJson(policy));
  });

  app.get('/v1/archive_policy', async () => (await policies.list()).map(archivePolicyJson));

  app.get<{ Params: { name: string } }>('/v1/archive_policy/:name', async (request) => {
    const p = await policies.get(request.params.name);
    if (!p) throw new NoSuchArchivePolicy(request.params.name);
    return archivePolicyJson(p);
  });

  app.patch<{ Params: { name: string } }>(
    '/v1/archive_policy/:name',
    { schema: { body: { type: 'object', additionalProperties: false, required: ['definition'], properties: { definition: definitionSchema } } } },
    async (request) => {
      const { name } = request.params;
      if (!(await policies.get(name))) throw new NoSuchArchivePolicy(name);
      requireAdmin(request.caller);
      const body = request.body as { definition: ArchivePolicyInput['definition'] };
      let items;
      try {
        items = coercePoints(body.definition).map((d, i) => makeItem(d, `definition[${i}]`));
      } catch (err) {
        badDefinition(err);
      }
      const updated = await policies.update(name, items);
      // the engine keeps each metric's policy beside its series: give them the new retention
      const users = await index.metrics.list({ archivePolicyName: name });
      await engine.setPolicy(users.map((m) => m.id), updated);
      return archivePolicyJson(updated);
    },
  );

  app.delete<{ Params: { name: string } }>('/v1/archive_policy/:name', async (request, reply) => {
    requireAdmin(request.caller);
    await policies.delete(request.params.name);
    return reply.code(204).send();
  });

  // ---- rules ---------------------------------------------------------------

  const ruleJson = (r: { name: string; metricPattern: string; archivePolicyName: string }) => ({
    name: r.name,
    archive_policy_name: r.archivePolicyName,
    metric_pattern: r.metricPattern,
  });

  app.post('/v1/archive_policy_rule', { schema: { body: ruleSchema }, preValidation: adminOnly }, async (request, reply) => {
    const body = request.body as { name: string; metric_pattern: string; archive_policy_name: string };
    let rule;
    try {
      rule = await policies.createRule({ name: body.name, metricPattern: body.metric_pattern, archivePolicyName: body.archive_policy_name });
    } catch (err) {
      // the rule's policy is missing: Gnocchi answers 400 here, not 404
      if (err instanceof NoSuchArchivePolicy) throw new HttpError(400, { cause: 'Archive policy does not exist', detail: body.archive_policy_name });
      throw err;
    }
    return reply.code(201).header('location', locationOf(request, `/v1/archive_policy_rule/${encodeURIComponent(rule.name)}`)).send(ruleJson(rule));
  });

  app.get('/v1/archive_policy_rule', async () => (await policies.listRules()).map(ruleJson));

  app.get<{ Params: { name: string } }>('/v1/archive_policy_rule/:name', async (request) => {
    const rule = await policies.getRule(request.params.name);
    if (!rule) throw new NoSuchArchivePolicyRule(request.params.name);
    return ruleJson(rule);
  });

  app.patch<{ Params: { name: string } }>(
    '/v1/archive_policy_rule/:name',
    { schema: { body: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', minLength: 1 } } } }, preValidation: adminOnly },
    async (request) => ruleJson(await policies.renameRule(request.params.name, (request.body as { name: string }).name)),
  );

  app.delete<{ Params: { name: string } }>('/v1/archive_policy_rule/:name', async (request, reply) => {
    requireAdmin(request.caller);
    await policies.deleteRule(request.params.name);
    return reply.code(204).send();
  });
}
