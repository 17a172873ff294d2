/**
 * The real `aodh` CLI (Debian's python3-aodhclient) against tally's
 * all-in-one listener: for every rule type, create, list, show, update,
 * state set and get, history, delete — as an operator would drive Aodh —
 * plus the CLI's errors, member isolation, history search and capabilities.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { type TestServer, startTestServer } from '../helpers/tally-server.js';
import { requires } from '../lib/requirements.js';

const run = promisify(execFile);
const RESOURCE = '6868da77-fa82-4e67-aba9-270c5ae8cbca';
const ADMIN = { user: 'u-admin', project: 'p-admin', roles: 'admin' };
const ALICE = { user: 'u-alice', project: 'p-alice', roles: 'member' };
type Identity = typeof ADMIN;

describe('aodh CLI against tally', requires('python3-aodhclient'), () => {
  let server: TestServer;
  let metricId = '';

  /** Runs `aodh … -f json` (when `json`) as `who`; rejects with the CLI's stderr on a non-zero exit. */
  const aodh = async (who: Identity, args: string[], json = true): Promise<unknown> => {
    const auth = ['--os-auth-type', 'aodh-noauth', '--user-id', who.user, '--project-id', who.project, '--roles', who.roles, '--aodh-endpoint', server.url];
    try {
      const { stdout } = await run('aodh', [...auth, ...args, ...(json ? ['-f', 'json'] : [])], { encoding: 'utf8' });
      return json ? JSON.parse(stdout) : stdout;
    } catch (err) {
      throw new Error(String((err as { stderr?: string }).stderr ?? err).trim());
    }
  };
  const show = async (who: Identity, id: string): Promise<Record<string, unknown>> => (await aodh(who, ['alarm', 'show', id])) as Record<string, unknown>;

  before(async () => {
    server = await startTestServer({ evaluation_interval: 0 }, { collector: false, alarms: true });
    const res = await fetch(`${server.url}/v1/resource/generic`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user-id': ALICE.user, 'x-project-id': ALICE.project, 'x-roles': 'member' },
      body: JSON.stringify({ id: RESOURCE, project_id: ALICE.project, metrics: { cpu_util: { archive_policy_name: 'low' } } }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    metricId = ((await res.json()) as { metrics: Record<string, string> }).metrics.cpu_util;
  });
  after(async () => server?.close());

  /** The CLI workflow on one alarm: everything but create, which differs per type. */
  const lifecycle = async (who: Identity, created: Record<string, unknown>, update: string[], check: (updated: Record<string, unknown>) => void): Promise<void> => {
    const id = String(created.alarm_id);
    assert.equal(created.state, 'insufficient data');
    assert.equal(created.project_id, who.project);
    const listed = (await aodh(who, ['alarm', 'list'])) as Record<string, unknown>[];
    assert.ok(listed.some((a) => a.alarm_id === id && a.name === created.name), JSON.stringify(listed));
    assert.deepEqual(await show(who, id), created);
    const updated = (await aodh(who, ['alarm', 'update', id, ...update])) as Record<string, unknown>;
    check(updated);
    assert.deepEqual((await show(who, id)).name, created.name);
    assert.deepEqual(await aodh(who, ['alarm', 'state', 'set', '--state', 'alarm', id]), { state: 'alarm' });
    assert.deepEqual(await aodh(who, ['alarm', 'state', 'get', id]), { state: 'alarm' });
    const history = (await aodh(who, ['alarm-history', 'show', id])) as { type: string; detail: string }[];
    assert.deepEqual(
      history.map((h) => h.type),
      ['state transition', 'rule change', 'creation'],
    );
    assert.deepEqual(JSON.parse(history[0].detail), { state: 'alarm', state_reason: 'Manually set via API' });
    await aodh(who, ['alarm', 'delete', id], false);
    await assert.rejects(show(who, id), new RegExp(`Alarm ${id} not found`));
  };

  it('gnocchi_resources_threshold', async () => {
    const created = (await aodh(ALICE, [
      'alarm', 'create', '-t', 'gnocchi_resources_threshold', '--name', 'cpu-high', '--metric', 'cpu_util', '--resource-id', RESOURCE, '--resource-type', 'generic',
      '--threshold', '80', '--aggregation-method', 'mean', '--comparison-operator', 'gt', '--granularity', '300', '--evaluation-periods', '3',
      '--alarm-action', 'http://127.0.0.1:9/alarm', '--severity', 'critical', '--time-constraint', 'name=office;start=0 9 * * 1-5;duration=36000;timezone=Europe/Paris',
    ])) as Record<string, unknown>;
    assert.equal(created.threshold, 80);
    assert.equal(created.granularity, 300);
    assert.equal(created.severity, 'critical');
    assert.deepEqual(created.alarm_actions, ['http://127.0.0.1:9/alarm']);
    assert.match(String(created.time_constraints), /office/);
    await lifecycle(ALICE, created, ['--threshold', '70', '--comparison-operator', 'ge'], (u) => {
      assert.equal(u.threshold, 70);
      assert.equal(u.comparison_operator, 'ge');
      assert.equal(u.granularity, 300, 'what the update does not name stays');
    });
  });

  it('gnocchi_aggregation_by_metrics_threshold', async () => {
    const created = (await aodh(ALICE, [
      'alarm', 'create', '-t', 'gnocchi_aggregation_by_metrics_threshold', '--name', 'metrics-max', '--metrics', metricId, '--threshold', '5', '--aggregation-method', 'max',
    ])) as Record<string, unknown>;
    assert.deepEqual(created.metrics, [metricId]);
    assert.equal(created.comparison_operator, 'eq');
    await lifecycle(ALICE, created, ['--aggregation-method', 'min'], (u) => assert.equal(u.aggregation_method, 'min'));
  });

  it('gnocchi_aggregation_by_resources_threshold: a member\'s query is scoped to its project', async () => {
    const created = (await aodh(ALICE, [
      'alarm', 'create', '-t', 'gnocchi_aggregation_by_resources_threshold', '--name', 'fleet-cpu', '--metric', 'cpu_util', '--resource-type', 'generic',
      '--query', '{"=": {"ended_at": null}}', '--threshold', '50', '--aggregation-method', 'mean',
    ])) as Record<string, unknown>;
    const query = JSON.parse(String(created.query)) as { and: unknown[] };
    assert.deepEqual(query.and[1], { '=': { ended_at: null } });
    assert.match(JSON.stringify(query.and[0]), /"created_by_project_id":"p-alice"/);
    await lifecycle(ALICE, created, ['--threshold', '60'], (u) => assert.equal(u.threshold, 60));
  });

  it('composite', async () => {
    const rule = {
      or: [
        { type: 'gnocchi_resources_threshold', metric: 'cpu_util', resource_id: RESOURCE, resource_type: 'generic', threshold: 0.8, aggregation_method: 'last' },
        { and: [{ type: 'gnocchi_aggregation_by_metrics_threshold', metrics: [metricId], threshold: 1, aggregation_method: 'mean', comparison_operator: 'gt' }] },
      ],
    };
    const created = (await aodh(ALICE, ['alarm', 'create', '--type', 'composite', '--name', 'either', '--composite-rule', JSON.stringify(rule)])) as Record<string, unknown>;
    const stored = JSON.parse(String(created.composite_rule)) as { or: Record<string, unknown>[] };
    assert.equal(stored.or[0].granularity, 60, 'sub-rules get their defaults');
    assert.equal(stored.or[0].type, 'gnocchi_resources_threshold');
    const changed = { and: rule.or };
    await lifecycle(ALICE, created, ['--composite-rule', JSON.stringify(changed)], (u) => assert.ok('and' in (JSON.parse(String(u.composite_rule)) as object)));
  });

  it('event', async () => {
    const created = (await aodh(ALICE, ['alarm', 'create', '--type', 'event', '--name', 'deleted', '--event-type', 'compute.instance.delete.end', '--query', `traits.instance_id=${RESOURCE}`])) as Record<string, unknown>;
    assert.equal(created.event_type, 'compute.instance.delete.end');
    assert.equal(created.description, 'Alarm when compute.instance.delete.end event occurred.');
    await lifecycle(ALICE, created, ['--event-type', 'compute.instance.*'], (u) => assert.equal(u.event_type, 'compute.instance.*'));
  });

  it('says what is wrong, as Aodh does', async () => {
    await assert.rejects(
      aodh(ALICE, ['alarm', 'create', '-t', 'gnocchi_resources_threshold', '--name', 'x', '--metric', 'cpu_util', '--resource-id', RESOURCE, '--resource-type', 'generic', '--threshold', '1', '--aggregation-method', 'nope']),
      /aggregation_method should be in \[.*\] not nope/,
    );
    await assert.rejects(
      aodh(ALICE, ['alarm', 'create', '-t', 'gnocchi_resources_threshold', '--name', 'x', '--metric', 'cpu_util', '--resource-id', RESOURCE, '--resource-type', 'generic', '--threshold', '1', '--aggregation-method', 'mean', '--alarm-action', 'log://']),
      /You are not authorized to create action: log:\/\//,
    );
    await assert.rejects(aodh(ALICE, ['alarm', 'show', '00000000-0000-4000-8000-000000000000']), /Alarm 00000000-0000-4000-8000-000000000000 not found/);
  });

  it('keeps projects apart, lets admins see across them, searches history, lists capabilities', async () => {
    const mine = (await aodh(ALICE, ['alarm', 'create', '--type', 'event', '--name', 'alice-only'])) as Record<string, unknown>;
    const bob = { user: 'u-bob', project: 'p-bob', roles: 'member' };
    assert.deepEqual(await aodh(bob, ['alarm', 'list']), []);
    await assert.rejects(show(bob, String(mine.alarm_id)), /not found/);
    const all = (await aodh(ADMIN, ['alarm', 'list', '--filter', 'all_projects=true'])) as Record<string, unknown>[];
    assert.ok(all.some((a) => a.alarm_id === mine.alarm_id));
    const found = (await aodh(ALICE, ['alarm-history', 'search', '--query', `alarm_id=${String(mine.alarm_id)}`])) as { type: string }[];
    assert.deepEqual(
      found.map((h) => h.type),
      ['creation'],
    );
    const caps = (await aodh(ALICE, ['capabilities', 'list'])) as { api: Record<string, boolean> };
    assert.equal(caps.api['alarms:query:complex'], true);
  });
});
