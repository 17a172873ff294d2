/**
 * `tally alarms` in front of the real Gnocchi 4.4 (test/gnocchi/up.sh): the
 * operator replaces Aodh first and keeps Gnocchi. Alarms of the three
 * Gnocchi rule types and a composite are validated against Gnocchi's
 * capabilities and evaluated over HTTP from what Gnocchi's metricd
 * aggregated; a missing metric gives Aodh's insufficient-data reason.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../cli/config.js';
import { type RunningServer, startAlarmsServer } from '../../cli/server.js';
import { waitFor } from '../collector/amqp-helpers.js';
import { ADMIN_AUTH, GNOCCHI_NEEDS, type RealGnocchi, startRealGnocchi } from '../helpers/real-gnocchi.js';
import { requires } from '../lib/requirements.js';

const GNOCCHI_PORT = Number(process.env.TALLY_ALARMS_GNOCCHI_PORT ?? 28045);
const OPS = { 'x-user-id': 'u-ops', 'x-project-id': 'p-ops', 'x-roles': 'admin' };


describe('tally alarms reading the real Gnocchi 4.4', requires(...GNOCCHI_NEEDS), () => {
  let gnocchi: RealGnocchi;
  let alarms: RunningServer;
  const dir = mkdtempSync(join(tmpdir(), 'tally-alarms-gnocchi-'));
  const resourceId = randomUUID();
  let metricId = '';

  const gn = async (method: string, path: string, body?: unknown): Promise<any> => {
    const res = await fetch(`${gnocchi.url}${path}`, { method, headers: { authorization: ADMIN_AUTH, 'content-type': 'application/json', accept: 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`Gnocchi ${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${alarms.url}${path}`, { method, headers: { ...OPS, 'content-type': 'application/json', accept: 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };

  before(async () => {
    gnocchi = await startRealGnocchi({ port: GNOCCHI_PORT });
    // a minute of 1-second buckets: metricd aggregates within seconds
    await gn('POST', '/v1/archive_policy', { name: 'fast', back_window: 0, aggregation_methods: ['mean', 'max', 'last'], definition: [{ granularity: '1s', timespan: '1h' }] });
    const r = await gn('POST', '/v1/resource/generic', { id: resourceId, project_id: 'p-ops', metrics: { cpu_util: { archive_policy_name: 'fast' } } });
    metricId = r.metrics.cpu_util;
    const config = { ...loadConfig({ env: {} }), alarms_port: 0, data_dir: dir, log_level: 'warn', evaluation_interval: 0, gnocchi_url: gnocchi.url, gnocchi_auth_mode: 'basic' as const, gnocchi_user: 'admin' };
    alarms = await startAlarmsServer(config, () => undefined);
  });

  after(async () => {
    await alarms?.stop();
    await gnocchi?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('validates rules against Gnocchi\'s capabilities', async () => {
    const bad = await api('POST', '/v2/alarms', {
      name: 'bad',
      type: 'gnocchi_resources_threshold',
      gnocchi_resources_threshold_rule: { metric: 'cpu_util', resource_id: resourceId, resource_type: 'generic', threshold: 1, aggregation_method: 'nope' },
    });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error_message.faultstring, /^aggregation_method should be in \[.*'rate:mean'.*\] not nope$/);
    const caps = await api('GET', '/v2/capabilities');
    assert.equal(caps.body.api['alarms:query:complex'], true);
    const root = await fetch(`${alarms.url}/`);
    assert.equal(((await root.json()) as { versions: { values: { id: string }[] } }).versions.values[0].id, 'v2', "Aodh's version document");
  });

  it('evaluates each rule type from what Gnocchi aggregated', async () => {
    const rule = { aggregation_method: 'mean', granularity: 1, evaluation_periods: 1, comparison_operator: 'gt', threshold: 50 };
    const create = async (body: Record<string, unknown>): Promise<string> => {
      const r = await api('POST', '/v2/alarms', body);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.alarm_id;
    };
    const ids = {
      resource: await create({ name: 'r', type: 'gnocchi_resources_threshold', gnocchi_resources_threshold_rule: { ...rule, metric: 'cpu_util', resource_id: resourceId, resource_type: 'generic' } }),
      metrics: await create({ name: 'm', type: 'gnocchi_aggregation_by_metrics_threshold', gnocchi_aggregation_by_metrics_threshold_rule: { ...rule, metrics: [metricId] } }),
      resources: await create({
        name: 'q',
        type: 'gnocchi_aggregation_by_resources_threshold',
        gnocchi_aggregation_by_resources_threshold_rule: { ...rule, metric: 'cpu_util', resource_type: 'generic', query: JSON.stringify({ '=': { project_id: 'p-ops' } }) },
      }),
      composite: await create({
        name: 'c',
        type: 'composite',
        composite_rule: { and: [{ type: 'gnocchi_resources_threshold', ...rule, metric: 'cpu_util', resource_id: resourceId, resource_type: 'generic' }, { type: 'gnocchi_aggregation_by_metrics_threshold', ...rule, threshold: 10, metrics: [metricId] }] },
      }),
      missing: await create({ name: 'x', type: 'gnocchi_resources_threshold', gnocchi_resources_threshold_rule: { ...rule, metric: 'nope', resource_id: resourceId, resource_type: 'generic' } }),
    };
    // live data: a point a second, until metricd has aggregated a recent one and every alarm decided
    let on = true;
    const feeding = (async () => {
      while (on) {
        await gn('POST', `/v1/metric/${metricId}/measures`, [{ timestamp: new Date().toISOString(), value: 90 }]).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    try {
      await waitFor(
        async () => {
          await alarms.alarms!.evaluate();
          const states = await Promise.all(Object.values(ids).map(async (id) => (await api('GET', `/v2/alarms/${id}`)).body.state));
          return states.slice(0, 4).every((s) => s === 'alarm');
        },
        30_000,
        'the alarms to fire from Gnocchi\'s data',
      );
    } finally {
      on = false;
      await feeding;
    }
    const shown = (await api('GET', `/v2/alarms/${ids.resource}`)).body;
    assert.equal(shown.state_reason, 'Transition to alarm due to 1 samples outside threshold, most recent: 90.0');
    const missing = (await api('GET', `/v2/alarms/${ids.missing}`)).body;
    assert.equal(missing.state, 'insufficient data');
    assert.equal(missing.state_reason, 'Not evaluated yet', 'it was insufficient data already: no transition, reason unchanged');
    const why = (await api('GET', `/v2/alarms/${ids.missing}/explain`)).body;
    assert.equal(why.rules[0].read_failure, `metric nope for resource ${resourceId} does not exists`);
    const explain = (await api('GET', `/v2/alarms/${ids.resources}/explain`)).body;
    assert.equal(explain.rules[0].comparison.outside_threshold[0], true);
  });
});
