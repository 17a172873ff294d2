/**
 * Aodh's `prometheus` alarm type (Heat's OS::Aodh::PrometheusAlarm) on
 * tally: the rule's PromQL query runs on the store at each cycle, every
 * value it returns is compared with the threshold, the state changes reach
 * the webhook as Aodh's notifications do, a member's alarm sees only its
 * project's series, and `explain` shows the query and what it returned.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../cli/config.js';
import { type RunningServer, startAlarmsServer } from '../../cli/server.js';
import { type Receiver, receiver } from '../helpers/http-receiver.js';
import { type TestServer, startTestServer } from '../helpers/tally-server.js';

const ADMIN = { 'x-user-id': 'u-admin', 'x-project-id': 'p-admin', 'x-roles': 'admin' };
const P1 = 'aaaaaaaa1111aaaa1111aaaaaaaaaaaa';
const P2 = 'bbbbbbbb2222bbbb2222bbbbbbbbbbbb';
const member = (project: string): Record<string, string> => ({ 'x-user-id': `u-${project}`, 'x-project-id': project, 'x-roles': 'member' });
const VM = { [P1]: 'f0000000-0000-4000-8000-00000000000a', [P2]: 'f0000000-0000-4000-8000-00000000000b' };

let tally: TestServer;
let rx: Receiver;

async function call(method: string, path: string, body?: unknown, who: Record<string, string> = ADMIN, base = tally.url): Promise<{ status: number; json: any }> {
  const res = await fetch(`${base}${path}`, { method, headers: { ...who, 'content-type': 'application/json', accept: 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function ok(method: string, path: string, body?: unknown, who: Record<string, string> = ADMIN, base = tally.url): Promise<any> {
  const r = await call(method, path, body, who, base);
  assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

async function waitForState(id: string, state: string, base = tally.url, timeoutMs = 20_000): Promise<any> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const a = await ok('GET', `/v2/alarms/${id}`, undefined, ADMIN, base);
    if (a.state === state) return a;
    if (Date.now() > until) throw new Error(`alarm ${id} stayed ${a.state} (${a.state_reason}), not ${state}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const alarm = (name: string, query: string, comparison: string, threshold: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name,
  type: 'prometheus',
  prometheus_rule: { query, comparison_operator: comparison, threshold },
  alarm_actions: [`${rx.base}/alarm/${name}`],
  ok_actions: [`${rx.base}/ok/${name}`],
  ...extra,
});

describe('prometheus alarms evaluated by tally', { timeout: 120_000 }, () => {
  let feeding = true;

  before(async () => {
    rx = await receiver();
    tally = await startTestServer({ evaluation_interval: 1 }, { collector: false, alarms: true });
    await ok('POST', '/v1/archive_policy', { name: 'fast', back_window: 0, aggregation_methods: ['last', 'mean'], definition: [{ granularity: '1s', timespan: '1h' }] });
    for (const [project, id] of Object.entries(VM)) {
      await ok('POST', '/v1/resource/generic', { id, project_id: project, user_id: `u-${project}`, metrics: { cpu_util: { archive_policy_name: 'fast', unit: '%' } } });
    }
    // live data: P1's instance busy (90 %), P2's idle (5 %)
    void (async () => {
      while (feeding) {
        const timestamp = new Date().toISOString();
        for (const [project, id] of Object.entries(VM)) {
          await call('POST', `/v1/resource/generic/${id}/metric/cpu_util/measures`, [{ timestamp, value: project === P1 ? 90 : 5 }]).catch(() => undefined);
        }
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
  });

  after(async () => {
    feeding = false;
    await tally?.close();
    await rx?.close();
  });

  it('keeps the rule as Aodh shows it, and refuses a query that does not parse', async () => {
    const created = await ok('POST', '/v2/alarms', alarm('shape', 'ceilometer_cpu_util > 1', 'gt', 80));
    assert.deepEqual(created.prometheus_rule, { comparison_operator: 'gt', threshold: 80.0, query: 'ceilometer_cpu_util > 1' });
    assert.equal(created.type, 'prometheus');
    const bad = await call('POST', '/v2/alarms', alarm('bad', 'sum(rate(ceilometer_cpu_util[5m])', 'gt', 1));
    assert.equal(bad.status, 400);
    assert.match(bad.json.error_message.faultstring, /query.*parse error/);
    const missing = await call('POST', '/v2/alarms', { name: 'no-rule', type: 'prometheus' });
    assert.equal(missing.status, 400);
    assert.match(missing.json.error_message.faultstring, /prometheus_rule must be set for prometheus type alarm/);
  });

  it('alarms when every value is beyond the threshold, stays ok when none is, and notifies', async () => {
    const busy = await ok('POST', '/v2/alarms', alarm('busy', `ceilometer_cpu_util{resource="${VM[P1]}"}`, 'gt', 80));
    const calm = await ok('POST', '/v2/alarms', alarm('calm', 'max(ceilometer_cpu_util)', 'gt', 95));
    const nothing = await ok('POST', '/v2/alarms', alarm('nothing', 'ceilometer_no_such_meter', 'gt', 1, { state: 'ok' }));
    const a = await waitForState(busy.alarm_id, 'alarm');
    assert.match(a.state_reason, /Transition to alarm due to 1 samples outside threshold, most recent: 90\.0/);
    await waitForState(calm.alarm_id, 'ok');
    const n = await waitForState(nothing.alarm_id, 'insufficient data');
    assert.equal(n.state_reason, 'datapoints are unknown');
    // Aodh's webhook payload
    const until = Date.now() + 10_000;
    while (!rx.requests.some((r) => r.url === '/alarm/busy') && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    const sent = rx.requests.find((r) => r.url === '/alarm/busy');
    assert.ok(sent, 'the alarm action was called');
    const payload = JSON.parse(sent.body) as Record<string, unknown>;
    assert.equal(payload.alarm_id, busy.alarm_id);
    assert.equal(payload.current, 'alarm');
    assert.deepEqual(payload.reason_data, { type: 'threshold', disposition: 'outside', count: 1, most_recent: 90 });
  });

  it("evaluates a member's alarm on its project's series only", async () => {
    // every series over 1 %: both instances are, but P2 sees its own alone
    const mine = await ok('POST', '/v2/alarms', alarm('mine', 'ceilometer_cpu_util', 'gt', 1), member(P2));
    const a = await waitForState(mine.alarm_id, 'alarm');
    assert.match(a.state_reason, /due to 1 samples outside threshold, most recent: 5\.0/);
    const explained = await ok('GET', `/v2/alarms/${mine.alarm_id}/explain`, undefined, member(P2));
    const rule = explained.rules[0];
    assert.equal(rule.read.kind, 'promql');
    assert.equal(rule.read.query, 'ceilometer_cpu_util');
    assert.equal(rule.read.project, P2);
    assert.equal(rule.datapoints.length, 1);
    assert.deepEqual(rule.evaluated.map(([, v]: [string, number]) => v), [5]);
    // a member cannot widen the scope through its query
    const sneaky = await ok('POST', '/v2/alarms', alarm('sneaky', `ceilometer_cpu_util{project="${P1}"}`, 'gt', 1, { state: 'ok' }), member(P2));
    const s = await waitForState(sneaky.alarm_id, 'insufficient data');
    assert.equal(s.state_reason, 'datapoints are unknown');
  });

  describe('by `tally alarms`, querying the Prometheus API over HTTP', () => {
    let alarms: RunningServer;
    let dir: string;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'tally-alarms-promql-'));
      const config = { ...loadConfig({ env: {} }), alarms_port: 0, data_dir: dir, log_level: 'warn', evaluation_interval: 1, gnocchi_url: tally.url, gnocchi_auth_mode: 'noauth' as const };
      alarms = await startAlarmsServer(config, () => undefined);
    });
    after(async () => {
      await alarms?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it("evaluates an admin's alarm and a member's, the member's query narrowed to its project", async () => {
      const all = await ok('POST', '/v2/alarms', alarm('remote-all', 'ceilometer_cpu_util', 'gt', 1, { state: 'ok' }), ADMIN, alarms.url);
      const mine = await ok('POST', '/v2/alarms', alarm('remote-mine', 'ceilometer_cpu_util', 'gt', 1, { state: 'ok' }), member(P1), alarms.url);
      const a = await waitForState(all.alarm_id, 'alarm', alarms.url);
      assert.match(a.state_reason, /due to 2 samples outside threshold/);
      const m = await waitForState(mine.alarm_id, 'alarm', alarms.url);
      assert.match(m.state_reason, /due to 1 samples outside threshold, most recent: 90\.0/);
      const explained = await ok('GET', `/v2/alarms/${mine.alarm_id}/explain`, undefined, member(P1), alarms.url);
      assert.equal(explained.rules[0].read.project, P1);
    });
  });
});
