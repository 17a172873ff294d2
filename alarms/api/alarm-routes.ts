/**
 * Aodh v2 alarms: `/v2/alarms` (list, create), `/v2/alarms/{id}` (show,
 * replace, delete), its `/state`, `/history`, and tally's `/explain`.
 * Members see and change only their project's alarms; admins see every
 * project's with `all_projects=true`.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Caller } from '../../tsdb/api/auth.js';
import { pythonJson } from '../../tsdb/api/python-json.js';
import { type QueryString, type QueryTerm, WsmeError, allValues, invalidField, queryTerms } from '../../tsdb/api/wsme.js';
import { parseTimestamp } from '../../tsdb/time.js';
import { embedTrust, isTrustScheme, schemeOf, splitAction, trustOf } from '../notifiers/action-url.js';

const isTrustAction = (action: string): boolean => isTrustScheme(schemeOf(action));
import { ALARM_STATES, type Alarm, type AlarmChange, type AlarmState, type PrometheusRule, REASON_MANUAL, REASON_NOT_EVALUATED, type ResourcesAggregationRule, type ThresholdRuleBase, THRESHOLD_TYPES } from '../model.js';
import { type AlarmFilters, type HistoryFilters, InvalidMarkerError, type Pagination } from '../store/alarm-store.js';
import { type AlarmInput, parseAlarmBody } from './alarm-input.js';
import { alarmJson, alarmRecord, changeJson } from './alarm-json.js';
import { ALARM_CAPABILITIES, type AlarmApiDeps } from './deps.js';
import { explanationJson } from './explain-json.js';

const now = (): number => Date.now() * 1000;

const ALARM_QUERY_FIELDS = ['all_projects', 'user_id', 'project_id', 'type', 'name', 'enabled', 'state', 'severity', 'timestamp', 'repeat_actions'];
const SORT_KEYS_ALARM = ['alarm_id', 'enabled', 'name', 'type', 'severity', 'timestamp', 'user_id', 'project_id', 'state', 'repeat_actions', 'state_timestamp'];
const SORT_KEYS_HISTORY = ['event_id', 'alarm_id', 'on_behalf_of', 'project_id', 'user_id', 'type', 'timestamp', 'severity'];

/** Python's repr of a set of strings, for WSME's messages. */
const pySet = (items: Iterable<string>): string => `{${[...items].map((s) => `'${s}'`).join(', ')}}`;

/** Which project a member is limited to; null for admins. */
const limitedProject = (caller: Caller): string | null => (caller.isAdmin ? null : caller.projectId);

/** The caller's own Keystone token: trusts are created and deleted with it, as Aodh does. */
const userTokenOf = (request: FastifyRequest): string | undefined => {
  const t = request.headers['x-auth-token'];
  return Array.isArray(t) ? t[0] : t;
};

const notAuthorized = (id: string, aspect = 'project'): WsmeError => new WsmeError(401, `Not Authorized to access ${aspect} ${id}`);

/** Python's bool_from_string(strict=True) and ast.literal_eval for untyped values, as Aodh's Query.get_value. */
function termValue(t: QueryTerm, forced?: string): string | number | boolean {
  const type = forced ?? t.type;
  if (type === 'boolean' || (!type && /^(True|False)$/.test(t.value))) {
    if (/^(true|1|yes|on|y|t)$/i.test(t.value)) return true;
    if (/^(false|0|no|off|n|f)$/i.test(t.value)) return false;
    throw new WsmeError(400, `Unable to convert the value ${t.value} to the expected data type boolean.`);
  }
  if (type === 'integer' || type === 'float') {
    const n = Number(t.value);
    if (t.value.trim() === '' || !Number.isFinite(n) || (type === 'integer' && !Number.isInteger(n))) {
      throw new WsmeError(400, `Unable to convert the value ${t.value} to the expected data type ${type}.`);
    }
    return n;
  }
  return t.value;
}

function pagination(q: QueryString, sortKeys: readonly string[]): Pagination {
  const limitText = allValues(q.limit)[0];
  let limit: number | undefined;
  if (limitText !== undefined) {
    limit = Number(limitText);
    if (!Number.isInteger(limit)) throw invalidField('limit', limitText, 'Invalid integer value');
    if (limit < 0) throw invalidField('limit', limit, 'it should be a positive integer.');
    // 0 is no limit, as in Aodh (its check is `if limit and limit <= 0`)
    if (limit === 0) limit = undefined;
  }
  const sort = allValues(q.sort).map((s) => {
    const [key, dir] = s.split(':');
    if (!sortKeys.includes(key)) {
      throw invalidField(
        'sort',
        s,
        `the sort parameter should be a pair of sort key and sort dir combined with ':', or only sort key specified and sort dir will be default 'asc', the supported sort keys are: (${sortKeys.map((k) => `'${k}'`).join(', ')})`,
      );
    }
    return [key, dir === 'desc' ? 'desc' : 'asc'] as const;
  });
  return { limit, marker: allValues(q.marker)[0], sort };
}

export async function alarmRoutes(app: FastifyInstance, deps: AlarmApiDeps): Promise<void> {
  const { store, settings } = deps;
  const shown = (a: Alarm): Record<string, unknown> => alarmJson(a, deps.evaluator?.evaluatedAt(a.alarm_id));

  /** The alarm if the caller may see it (its project's, or any for an admin); 404 otherwise. */
  const visibleAlarm = async (caller: Caller, id: string): Promise<Alarm> => {
    const a = await store.get(id);
    const limited = limitedProject(caller);
    if (!a || (limited !== null && a.project_id !== limited)) throw new WsmeError(404, `Alarm ${id} not found`);
    return a;
  };

  /** Aodh's check_alarm_actions: duplicates dropped, count limit, known schemes, no log:// for members. */
  const checkActions = (input: AlarmInput, caller: Caller): void => {
    for (const field of ['ok_actions', 'alarm_actions', 'insufficient_data_actions'] as const) {
      const unique = [...new Set(input[field])];
      input[field].splice(0, input[field].length, ...unique);
      if (settings.alarmMaxActions > 0 && unique.length > settings.alarmMaxActions) {
        throw new WsmeError(400, `${field} count exceeds maximum value ${settings.alarmMaxActions}`);
      }
      for (const action of unique) {
        const scheme = splitAction(action)?.scheme ?? null;
        if (scheme === null) throw new WsmeError(400, `Unable to parse action ${action}`);
        if (!settings.actionSchemes.includes(scheme)) throw new WsmeError(400, `Unsupported action ${action}`);
        if (!caller.isAdmin && (scheme === 'log' || scheme === 'test')) throw new WsmeError(401, `You are not authorized to create action: ${action}`);
      }
    }
  };

  /** The rule checks that need the store: aggregation methods, and a by-resources query scoped to the project. */
  const checkRule = async (input: AlarmInput, caller: Caller): Promise<AlarmInput> => {
    // a member's prometheus rule sees its project's series only (Aodh: scope_to_project, the auth project)
    if (input.type === 'prometheus') {
      const scope = limitedProject(caller) ?? (input.project_id !== undefined && input.project_id !== caller.projectId ? input.project_id : null);
      return { ...input, rule: { ...(input.rule as PrometheusRule), scope_to_project: scope } };
    }
    if (!(THRESHOLD_TYPES as readonly string[]).includes(input.type)) return input;
    const rule = input.rule as ThresholdRuleBase;
    const methods = await deps.source.aggregationMethods();
    if (!methods.includes(rule.aggregation_method)) {
      throw new WsmeError(400, `aggregation_method should be in ${pythonJson(methods).replace(/"/g, "'")} not ${rule.aggregation_method}`);
    }
    if (input.type !== 'gnocchi_aggregation_by_resources_threshold') return input;
    const r = rule as ResourcesAggregationRule;
    let query: unknown;
    try {
      query = JSON.parse(r.query);
    } catch {
      throw invalidField('rule/query', r.query, '');
    }
    // a member's alarm reads only what its project owns: what it created, or the collector's resources of its project
    const limited = limitedProject(caller);
    const authProject = limited ?? (input.project_id !== undefined && input.project_id !== caller.projectId ? input.project_id : null);
    let scoped = input;
    if (authProject) {
      let perms: Record<string, unknown> = { '=': { created_by_project_id: authProject } };
      if (settings.externalProjectOwner) {
        perms = { or: [perms, { and: [{ '=': { created_by_project_id: settings.externalProjectOwner } }, { '=': { project_id: authProject } }] }] };
      }
      query = { and: [perms, query] };
      scoped = { ...input, rule: { ...r, query: pythonJson(query) } };
    }
    const problem = await deps.source.checkResourcesQuery({
      kind: 'resources',
      resourceType: r.resource_type,
      query: query as Record<string, unknown>,
      metric: r.metric,
      aggregation: r.aggregation_method,
      granularity: r.granularity,
      start: now() - 86_400e6,
      stop: now(),
    });
    if (problem) throw new WsmeError(problem[0], problem[1]);
    return scoped;
  };

  /** Aodh's update_actions: trust actions without a trust get one (the previous alarm's, or a new one). */
  const settleTrusts = async (input: AlarmInput, request: FastifyRequest, previous?: Alarm): Promise<AlarmInput> => {
    const lists = [input.ok_actions, input.alarm_actions, input.insufficient_data_actions];
    const oldTrusts = new Set<string>();
    for (const a of previous ? [...previous.ok_actions, ...previous.alarm_actions, ...previous.insufficient_data_actions] : []) {
      const t = trustOf(a);
      if (t?.owned) oldTrusts.add(t.trustId);
    }
    let trustId: string | null = oldTrusts.size ? [...oldTrusts][0] : null;
    if (trustId) oldTrusts.delete(trustId);
    let used = false;
    const out = lists.map((list) =>
      list.map((action) => {
        if (!isTrustAction(action)) return action;
        if (splitAction(action)?.authority?.includes('@')) throw new WsmeError(400, 'trust URL cannot contain a trust ID.');
        return action;
      }),
    );
    if (out.some((l) => l.some(isTrustAction)) && trustId === null) {
      if (!deps.trusts) throw new WsmeError(400, 'trust+http(s) actions need a Keystone to create trusts: run tally with auth_mode keystone');
      trustId = await deps.trusts.createTrust({ userToken: userTokenOf(request) ?? '', trustorUserId: request.caller.userId, projectId: request.caller.projectId, roles: request.caller.roles });
    }
    const settled = out.map((l) =>
      l.map((action) => {
        if (!isTrustAction(action)) return action;
        const owned = !used;
        used = true;
        return embedTrust(action, trustId!, owned);
      }),
    );
    if (trustId !== null && !used) oldTrusts.add(trustId);
    for (const t of oldTrusts) await deps.trusts?.deleteTrust(t, userTokenOf(request)).catch(() => undefined);
    return { ...input, ok_actions: settled[0], alarm_actions: settled[1], insufficient_data_actions: settled[2] };
  };

  const change = (alarm: Alarm, caller: Caller, type: AlarmChange['type'], detail: Record<string, unknown>, onBehalfOf: string | null, at: number): AlarmChange => ({
    event_id: randomUUID(),
    alarm_id: alarm.alarm_id,
    type,
    detail: pythonJson(detail),
    user_id: caller.userId || null,
    project_id: caller.projectId || null,
    on_behalf_of: onBehalfOf,
    severity: alarm.severity,
    timestamp: at,
  });

  const overQuota = async (projectId: string, userId: string): Promise<boolean> => {
    const quotas = await store.quotas(projectId);
    let over = false;
    if (quotas.length > 0) {
      for (const q of quotas) if (q.resource === 'alarms') over = (await store.count({ user_id: userId })) >= q.limit && q.limit !== -1;
    } else if (settings.projectAlarmQuota !== -1) {
      over = (await store.count({ project_id: projectId })) >= settings.projectAlarmQuota;
    }
    if (!over && settings.userAlarmQuota !== -1) over = (await store.count({ user_id: userId })) >= settings.userAlarmQuota;
    return over;
  };

  app.post('/v2/alarms', async (request, reply) => {
    const caller = request.caller;
    let input = parseAlarmBody(request.body);
    checkActions(input, caller);
    input = await checkRule(input, caller);
    const limited = limitedProject(caller);
    const owner = (aspect: 'user' | 'project', requested: string | undefined, own: string): string => {
      if (limited !== null && requested !== undefined && requested !== own) throw notAuthorized(requested, aspect);
      return requested ?? own;
    };
    const userId = owner('user', input.user_id, caller.userId);
    const projectId = owner('project', input.project_id, caller.projectId);
    if (await overQuota(projectId, userId)) throw new WsmeError(403, `Alarm quota exceeded for user ${userId} on project ${projectId}`);
    const at = now();
    const draft = alarmOf(input, randomUUID(), userId, projectId, at, at, REASON_NOT_EVALUATED, null);
    // Aodh's column default: the creation time (a PUT clears it)
    const created = { ...draft, evaluate_timestamp: at };
    const settled = await settleTrusts(input, request);
    const alarm: Alarm = { ...created, ok_actions: settled.ok_actions, alarm_actions: settled.alarm_actions, insufficient_data_actions: settled.insufficient_data_actions };
    await store.create(alarm, settings.recordHistory ? change(alarm, caller, 'creation', alarmRecord(draft), caller.projectId || null, at) : null);
    deps.evaluator?.alarmsChanged(alarm.alarm_id);
    reply.code(201).header('location', `${request.baseUrl}/v2/alarms/${alarm.alarm_id}`);
    return shown(alarm);
  });

  app.get('/v2/alarms', async (request) => {
    const caller = request.caller;
    const terms = queryTerms(request.query as QueryString);
    const keys = new Set(terms.map((t) => t.field));
    if ([...keys].some((k) => !ALARM_QUERY_FIELDS.includes(k))) throw invalidField('field', pySet(keys), `only fields ${pySet(ALARM_QUERY_FIELDS)} are allowed`);
    const ops = new Set(terms.map((t) => t.op));
    if ([...ops].some((o) => o !== 'eq')) throw invalidField('op', pySet(ops), `only operations {'eq'} are allowed`);
    if (keys.size !== terms.length) throw invalidField('field', pySet(keys), 'duplicate query fields are not allowed');
    const filters: Record<string, string | number | boolean> = {};
    const allProjects = terms.find((t) => t.field === 'all_projects');
    if (allProjects && termValue(allProjects, 'boolean') === true) {
      if (!caller.isAdmin) throw new WsmeError(403, 'RBAC Authorization Failed');
    } else {
      const requested = terms.find((t) => t.field === 'project_id');
      if (requested === undefined) filters.project_id = caller.projectId;
      else if (!caller.isAdmin && requested.value !== caller.projectId) throw notAuthorized(requested.value);
    }
    for (const t of terms) {
      if (t.field === 'all_projects') continue;
      if (t.field === 'timestamp') filters.timestamp = parseTimestamp('timestamp', t.value);
      else if (t.field === 'enabled' || t.field === 'repeat_actions') filters[t.field] = termValue(t, 'boolean');
      else filters[t.field] = String(termValue(t));
    }
    try {
      return (await store.list(filters as AlarmFilters, pagination(request.query as QueryString, SORT_KEYS_ALARM))).map(shown);
    } catch (err) {
      if (err instanceof InvalidMarkerError) throw new WsmeError(400, err.message);
      throw err;
    }
  });

  app.get<{ Params: { id: string } }>('/v2/alarms/:id', async (request) => shown(await visibleAlarm(request.caller, request.params.id)));

  app.put<{ Params: { id: string } }>('/v2/alarms/:id', async (request) => {
    const caller = request.caller;
    let input = parseAlarmBody(request.body);
    checkActions(input, caller);
    input = await checkRule(input, caller);
    const old = await visibleAlarm(caller, request.params.id);
    const limited = limitedProject(caller);
    const userId = limited !== null ? caller.userId : (input.user_id ?? old.user_id);
    const projectId = limited !== null ? caller.projectId : (input.project_id ?? old.project_id);
    const at = now();
    // a body without a state means 'insufficient data', as in Aodh (clients send the state they read)
    const stateChanged = old.state !== input.state;
    const draft = alarmOf(input, old.alarm_id, userId, projectId, at, stateChanged ? at : old.state_timestamp, stateChanged ? REASON_MANUAL : old.state_reason, null);
    const settled = await settleTrusts(input, request, old);
    const alarm: Alarm = { ...draft, ok_actions: settled.ok_actions, alarm_actions: settled.alarm_actions, insufficient_data_actions: settled.insufficient_data_actions };
    const before = alarmRecord(old);
    const after = alarmRecord(alarm);
    const diff: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(after)) if (k !== 'timestamp' && k !== 'state_timestamp' && JSON.stringify(v) !== JSON.stringify(before[k])) diff[k] = v;
    const line = settings.recordHistory && Object.keys(diff).length > 0 ? change(alarm, caller, 'rule change', diff, alarm.project_id, at) : null;
    if (!(await store.update(alarm, line))) throw new WsmeError(404, `Alarm ${old.alarm_id} not found`);
    deps.evaluator?.alarmsChanged(alarm.alarm_id);
    return shown(alarm);
  });

  app.delete<{ Params: { id: string } }>('/v2/alarms/:id', async (request, reply) => {
    const alarm = await visibleAlarm(request.caller, request.params.id);
    await store.delete(alarm.alarm_id);
    deps.evaluator?.alarmsChanged(alarm.alarm_id);
    for (const a of [...alarm.ok_actions, ...alarm.alarm_actions, ...alarm.insufficient_data_actions]) {
      const t = trustOf(a);
      if (t?.owned) await deps.trusts?.deleteTrust(t.trustId, userTokenOf(request)).catch(() => undefined);
    }
    return reply.code(204).send();
  });

  // the state travels as a JSON string ("alarm"), which fastify would send as plain text
  const jsonString = (reply: FastifyReply, s: string): FastifyReply => reply.type('application/json').send(JSON.stringify(s));

  app.get<{ Params: { id: string } }>('/v2/alarms/:id/state', async (request, reply) => jsonString(reply, (await visibleAlarm(request.caller, request.params.id)).state));

  app.put<{ Params: { id: string } }>('/v2/alarms/:id/state', async (request, reply) => {
    const alarm = await visibleAlarm(request.caller, request.params.id);
    const state = request.body;
    if (typeof state !== 'string' || !ALARM_STATES.includes(state as AlarmState)) throw new WsmeError(400, 'state invalid');
    const at = now();
    const updated: Alarm = { ...alarm, state: state as AlarmState, state_timestamp: at, state_reason: REASON_MANUAL };
    const line = settings.recordHistory ? change(updated, request.caller, 'state transition', { state, state_reason: REASON_MANUAL }, alarm.project_id, at) : null;
    if (!(await store.update(updated, line))) throw new WsmeError(404, `Alarm ${alarm.alarm_id} not found`);
    deps.evaluator?.alarmsChanged(alarm.alarm_id);
    return jsonString(reply, state);
  });

  app.get<{ Params: { id: string } }>('/v2/alarms/:id/history', async (request) => {
    const caller = request.caller;
    await visibleAlarm(caller, request.params.id);
    const q = request.query as QueryString;
    const filters: { -readonly [K in keyof HistoryFilters]: HistoryFilters[K] } = {};
    const limited = limitedProject(caller);
    if (limited !== null) filters.on_behalf_of = limited;
    let searchOffset = 0;
    const terms = queryTerms(q);
    for (const t of terms) {
      if (t.field === 'timestamp') {
        if (!['lt', 'le', 'gt', 'ge'].includes(t.op)) throw invalidField('op', t.op, `unimplemented operator for ${t.field}`);
        let us: number;
        try {
          us = parseTimestamp('timestamp', t.value);
        } catch {
          throw invalidField('timestamp', t.value, 'invalid timestamp format');
        }
        if (t.op === 'gt' || t.op === 'ge') filters.start = { op: t.op, us };
        else filters.end = { op: t.op as 'lt' | 'le', us };
        continue;
      }
      if (t.field === 'search_offset') {
        searchOffset = Number(t.value);
        continue;
      }
      const key = { user: 'user_id', project: 'project_id', user_id: 'user_id', project_id: 'project_id', type: 'type', severity: 'severity' }[t.field];
      if (!key) throw new WsmeError(400, `Unknown argument: "${t.field}": unrecognized field in query: ${t.field}, valid keys: ['project', 'search_offset', 'severity', 'timestamp', 'type', 'user']`);
      if (t.op !== 'eq') throw invalidField('op', t.op, `unimplemented operator for ${t.field}`);
      if (key === 'project_id' && limited !== null && t.value !== limited) throw notAuthorized(t.value);
      (filters as Record<string, unknown>)[key] = t.value;
    }
    if (searchOffset) {
      if (filters.start) filters.start = { ...filters.start, us: filters.start.us - searchOffset * 60e6 };
      if (filters.end) filters.end = { ...filters.end, us: filters.end.us + searchOffset * 60e6 };
    }
    try {
      return (await store.history(request.params.id, filters, pagination(q, SORT_KEYS_HISTORY))).map(changeJson);
    } catch (err) {
      if (err instanceof InvalidMarkerError) throw new WsmeError(400, err.message);
      throw err;
    }
  });

  app.get<{ Params: { id: string } }>('/v2/alarms/:id/explain', async (request) => {
    const alarm = await visibleAlarm(request.caller, request.params.id);
    return explanationJson(alarm, deps.evaluator?.explain(alarm));
  });

  if (deps.capabilities) {
    // the listener is Aodh's alone (`tally alarms`): its capabilities and version document
    app.get('/v2/capabilities', async () => ALARM_CAPABILITIES);
    app.get('/', async (request) => ({
      versions: {
        values: [
          {
            id: 'v2',
            links: [
              { href: `${request.baseUrl}/v2`, rel: 'self' },
              { href: 'https://docs.openstack.org/', rel: 'describedby', type: 'text/html' },
            ],
            'media-types': [
              { base: 'application/json', type: 'application/vnd.openstack.telemetry-v2+json' },
              { base: 'application/xml', type: 'application/vnd.openstack.telemetry-v2+xml' },
            ],
            status: 'stable',
            updated: '2013-02-13T00:00:00Z',
          },
        ],
      },
    }));
  }
}

function alarmOf(input: AlarmInput, id: string, userId: string, projectId: string, at: number, stateAt: number, reason: string, evaluatedAt: number | null): Alarm {
  return {
    alarm_id: id,
    type: input.type,
    name: input.name,
    description: input.description,
    enabled: input.enabled,
    user_id: userId,
    project_id: projectId,
    state: input.state,
    state_reason: reason,
    severity: input.severity,
    ok_actions: input.ok_actions,
    alarm_actions: input.alarm_actions,
    insufficient_data_actions: input.insufficient_data_actions,
    repeat_actions: input.repeat_actions,
    rule: input.rule,
    time_constraints: input.time_constraints,
    timestamp: at,
    state_timestamp: stateAt,
    evaluate_timestamp: evaluatedAt,
  };
}
