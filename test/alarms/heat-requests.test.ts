/**
 * What Heat 19's engine sends to the Aodh API of a deployment when its stacks have
 * alarms (OS::Aodh::GnocchiAggregationByResourcesAlarm, OS::Aodh::CompositeAlarm),
 * replayed against tally without Heat: the exchanges test/e2e/heat-autoscaling.test.ts
 * recorded in front of tally (test/fixtures/heat/heat-19-alarm-requests.json; re-record
 * with TALLY_HEAT_RECORD=that path), sent again as alice with her token, each answer
 * compared with the recorded one, text for text, ids, times and evaluation states aside:
 * the alarms' creation, their reading and full replacement when Heat suspends, resumes
 * and updates the stack (GET then PUT of the whole alarm, as aodhclient's update
 * does), their deletion. The answers to the creations are Aodh 15's too: the same
 * bodies sent to the real Aodh API (test/aodh/up.sh, with plain http actions: its noauth
 * mode cannot take trusts) give the same alarms. Like Aodh, tally scopes a member's
 * by-resources query again on every PUT: each suspend or resume that reads the alarm
 * back nests the project filter one level deeper (harmless, and Aodh's answer).
 *
 * And what Heat sends for a property a template leaves out: null, which Aodh 15 checks
 * against the enums (comparison_operator, severity) and tally now does too.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { KEYSTONE_NEEDS, type RealKeystone, issueToken, startRealKeystone } from '../helpers/real-keystone.js';
import { type TestServer, startTestServer } from '../helpers/tally-server.js';
import { requires } from '../lib/requirements.js';

interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Record<string, unknown> | null;
  readonly status: number;
  readonly response: string;
}

const FIXTURE = JSON.parse(readFileSync(new URL('../fixtures/heat/heat-19-alarm-requests.json', import.meta.url), 'utf8')) as { exchanges: Recorded[] };
/** Aodh's times: UTC, no zone, microseconds unless there are none */
const TIME = /"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?"/g;
/**
 * An answer without what differs from run to run: times, and what the evaluator made
 * of the alarm meanwhile (when Heat read it back to update it, it had been evaluated;
 * here it is not).
 */
const normalised = (text: string): string =>
  text
    .replace(TIME, '"<time>"')
    .replace(/"evaluate_timestamp": (null|"<time>")/g, '"evaluate_timestamp": "<evaluated>"')
    .replace(/"state": "[a-z ]+"/g, '"state": "<state>"')
    .replace(/"state_reason": "(?:[^"\\]|\\.)*"/g, '"state_reason": "<reason>"');

describe("Heat 19's alarm requests, replayed", requires(...KEYSTONE_NEEDS), () => {
  let ks: RealKeystone;
  let tally: TestServer;
  let token = '';

  before(async () => {
    ks = await startRealKeystone();
    tally = await startTestServer(
      {
        auth_mode: 'keystone',
        keystone_url: ks.url,
        keystone_username: 'tally',
        keystone_password: ks.passwords.tally,
        keystone_project_name: 'service',
        evaluation_interval: 0,
        alarm_external_project_owner: ks.ids.service,
      },
      // the collector's resource types: the rules search instances
      { collector: true, alarms: true },
    );
    token = await issueToken(ks.url, 'alice', ks.passwords.alice, 'proj-a');
  });
  after(async () => {
    await tally?.close();
    await ks?.stop();
  });

  const send = async (method: string, path: string, headers: Record<string, string>, body: unknown): Promise<{ status: number; text: string; location: string | null }> => {
    const res = await fetch(`${tally.url}${path}`, {
      method,
      headers: { ...headers, 'x-auth-token': token },
      body: body === null || body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, text: await res.text(), location: res.headers.get('location') };
  };

  async function trustExists(trustId: string): Promise<boolean> {
    const res = await fetch(`${ks.url}/OS-TRUST/trusts/${trustId}`, { headers: { 'x-auth-token': token } });
    await res.body?.cancel();
    return res.status === 200;
  }

  it('answers every request Heat sent as it answered Heat', async () => {
    const created: string[] = [];
    const trusts: string[] = [];
    const fill = (text: string): string => {
      let out = text.replaceAll('{{alice}}', ks.ids.alice).replaceAll('{{proj-a}}', ks.ids.projA).replaceAll('{{service}}', ks.ids.service);
      created.forEach((id, i) => (out = out.replaceAll(`{{alarm:${i}}}`, id)));
      return out;
    };
    assert.ok(FIXTURE.exchanges.length >= 8);
    for (const [i, e] of FIXTURE.exchanges.entries()) {
      const body = e.body === null ? null : JSON.parse(fill(JSON.stringify(e.body)));
      const got = await send(e.method, fill(e.path), e.headers, body);
      const what = `#${i} ${e.method} ${e.path}`;
      assert.equal(got.status, e.status, `${what}: ${got.text}`);
      if (e.method === 'POST' && got.status === 201) {
        const alarm = JSON.parse(got.text) as { alarm_id: string; alarm_actions: string[] };
        created.push(alarm.alarm_id);
        assert.equal(got.location, `${tally.url}/v2/alarms/${alarm.alarm_id}`, what);
        // trust+http: tally took a trust from alice's token (kept out of the answer)
        const stored = (await tally.alarms!.store.get(alarm.alarm_id))!;
        for (const action of stored.alarm_actions) {
          const trust = /^trust\+http:\/\/([0-9a-f]{32}):delete@/.exec(action)?.[1];
          if (trust) trusts.push(trust);
        }
      }
      assert.equal(normalised(got.text), normalised(fill(e.response)), what);
    }
    assert.equal(trusts.length, 2, 'one trust per alarm with a trust+http action');
    for (const t of trusts) assert.equal(await trustExists(t), false, `trust ${t} went with its alarm`);
    assert.equal((await tally.alarms!.store.list()).length, 0, 'every alarm deleted');
  });

  /** the first by-resources alarm Heat created, with a plain action (no trust needed) */
  const heatAlarm = (): Record<string, any> => {
    const e = FIXTURE.exchanges.find((x) => x.method === 'POST' && x.body?.type === 'gnocchi_aggregation_by_resources_threshold')!;
    const body = JSON.parse(JSON.stringify(e.body).replaceAll('{{proj-a}}', ks.ids.projA)) as Record<string, any>;
    return { ...body, alarm_actions: ['http://127.0.0.1:9/signal'] };
  };
  const composite = (): Record<string, any> => {
    const e = FIXTURE.exchanges.find((x) => x.method === 'POST' && x.body?.type === 'composite')!;
    return { ...JSON.parse(JSON.stringify(e.body).replaceAll('{{proj-a}}', ks.ids.projA)), alarm_actions: ['http://127.0.0.1:9/signal'] };
  };
  /** Aodh's answer, in Python's JSON spacing */
  const refused = (field: string, values: string): string =>
    `{"error_message": {"faultcode": "Client", "faultstring": "Invalid input for field/attribute ${field}. Value: 'None'. Value should be one of: ${values}", "debuginfo": null}}`;

  it("refuses the null Heat sends for a comparison operator or a severity the template leaves out, as Aodh 15 does", async () => {
    const headers = { 'content-type': 'application/json', accept: 'application/json' };
    const rule = heatAlarm();
    rule.gnocchi_aggregation_by_resources_threshold_rule.comparison_operator = null;
    let got = await send('POST', '/v2/alarms', headers, rule);
    assert.equal(got.status, 400);
    assert.equal(got.text, refused('comparison_operator', 'le, ne, eq, ge, lt, gt'));

    const sub = composite();
    const [op] = Object.keys(sub.composite_rule);
    sub.composite_rule[op][0].comparison_operator = null;
    got = await send('POST', '/v2/alarms', headers, sub);
    assert.equal(got.status, 400);
    assert.equal(got.text, refused('comparison_operator', 'le, ne, eq, ge, lt, gt'));

    got = await send('POST', '/v2/alarms', headers, { ...heatAlarm(), severity: null });
    assert.equal(got.status, 400);
    assert.equal(got.text, refused('severity', 'moderate, critical, low'));

    // left out, rather than null: the default, as before
    const absent = heatAlarm();
    delete absent.gnocchi_aggregation_by_resources_threshold_rule.comparison_operator;
    delete absent.severity;
    got = await send('POST', '/v2/alarms', headers, absent);
    assert.equal(got.status, 201, got.text);
    const alarm = JSON.parse(got.text) as { alarm_id: string; severity: string; gnocchi_aggregation_by_resources_threshold_rule: { comparison_operator: string } };
    assert.equal(alarm.gnocchi_aggregation_by_resources_threshold_rule.comparison_operator, 'eq');
    assert.equal(alarm.severity, 'low');
    assert.equal((await send('DELETE', `/v2/alarms/${alarm.alarm_id}`, {}, null)).status, 204);
  });

  it('gives a null granularity or evaluation_periods their defaults (Aodh 15 keeps the null, and cannot evaluate the rule)', async () => {
    const body = heatAlarm();
    body.gnocchi_aggregation_by_resources_threshold_rule.granularity = null;
    body.gnocchi_aggregation_by_resources_threshold_rule.evaluation_periods = null;
    const got = await send('POST', '/v2/alarms', { 'content-type': 'application/json' }, body);
    assert.equal(got.status, 201, got.text);
    const rule = (JSON.parse(got.text) as { gnocchi_aggregation_by_resources_threshold_rule: { granularity: number; evaluation_periods: number } }).gnocchi_aggregation_by_resources_threshold_rule;
    assert.equal(rule.granularity, 60);
    assert.equal(rule.evaluation_periods, 1);
  });
});
