/**
 * Heat autoscaling as Heat's templates wire it, against a real Keystone:
 * alice creates an alarm whose action is `trust+http://…/signal` (Heat's
 * `signal_url` behind `trust+`); tally creates a Keystone trust from her
 * token to its service user, as Aodh does, keeps its id out of every answer,
 * and when the alarm fires signals with a token of that trust — alice's,
 * scoped to her project — which Keystone validates. Deleting the alarm
 * deletes the trust.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../collector/amqp-helpers.js';
import { type Receiver, receiver } from '../helpers/http-receiver.js';
import { KEYSTONE_NEEDS, type RealKeystone, issueToken, startRealKeystone } from '../helpers/real-keystone.js';
import { requires } from '../lib/requirements.js';
import { type TestServer, startTestServer } from '../helpers/tally-server.js';


describe('trust+http alarm actions through the API, against a real Keystone', requires(...KEYSTONE_NEEDS), () => {
  let ks: RealKeystone;
  let tally: TestServer;
  let rx: Receiver;
  let alice = '';

  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> => {
    const res = await fetch(`${tally.url}${path}`, { method, headers: { 'x-auth-token': alice, 'content-type': 'application/json', accept: 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
  };

  before(async () => {
    ks = await startRealKeystone();
    rx = await receiver();
    tally = await startTestServer(
      { auth_mode: 'keystone', keystone_url: ks.url, keystone_username: 'tally', keystone_password: ks.passwords.tally, keystone_project_name: 'service', evaluation_interval: 0 },
      { collector: false, alarms: true },
    );
    alice = await issueToken(ks.url, 'alice', ks.passwords.alice, 'proj-a');
  });
  after(async () => {
    await tally?.close();
    await rx?.close();
    await ks?.stop();
  });

  it('signals with a token of the trust alice\'s alarm created, and deletes the trust with the alarm', async () => {
    const policy = await api('POST', '/v1/archive_policy', { name: 'fast', back_window: 0, aggregation_methods: ['mean'], definition: [{ granularity: '1s', timespan: '1h' }] });
    assert.ok(policy.status === 201 || policy.status === 403, JSON.stringify(policy.json));
    const metric = await api('POST', '/v1/metric', { archive_policy_name: policy.status === 201 ? 'fast' : 'high' });
    assert.equal(metric.status, 201, JSON.stringify(metric.json));
    const signal = `${rx.base.replace('http://', 'trust+http://')}/v1/stacks/web/abc/resources/scale_up/signal`;
    const created = await api('POST', '/v2/alarms', {
      name: 'scale-up',
      type: 'gnocchi_aggregation_by_metrics_threshold',
      alarm_actions: [signal],
      gnocchi_aggregation_by_metrics_threshold_rule: { metrics: [metric.json.id], aggregation_method: 'mean', granularity: 1, comparison_operator: 'gt', threshold: 1 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    assert.deepEqual(created.json.alarm_actions, [signal], 'shown without the trust id');
    const stored = (await tally.alarms!.store.get(created.json.alarm_id))!;
    const trustId = /^trust\+http:\/\/([0-9a-f]{32}):delete@/.exec(stored.alarm_actions[0])?.[1];
    assert.ok(trustId, stored.alarm_actions[0]);
    const history = await api('GET', `/v2/alarms/${created.json.alarm_id}/history`);
    assert.ok(!JSON.stringify(history.json).includes(trustId), 'the history never shows it');

    await api('POST', `/v1/metric/${metric.json.id}/measures`, [{ timestamp: new Date(Date.now() - 1000).toISOString(), value: 5 }]);
    await waitFor(async () => (await api('GET', `/v1/metric/${metric.json.id}/measures?granularity=1`)).json?.length > 0, 10_000, 'aggregated data');
    await tally.alarms!.evaluate();
    await waitFor(() => rx.requests.length > 0, 10_000, 'the signal');
    const got = rx.requests[0];
    assert.equal(got.url, '/v1/stacks/web/abc/resources/scale_up/signal');
    assert.equal(JSON.parse(got.body).current, 'alarm');
    const token = String(got.headers['x-auth-token']);
    const tallyToken = await issueToken(ks.url, 'tally', ks.passwords.tally, 'service');
    const check = await fetch(`${ks.url}/auth/tokens?nocatalog`, { headers: { 'x-auth-token': tallyToken, 'x-subject-token': token } });
    assert.equal(check.status, 200);
    const doc = (await check.json()) as { token: { user: { id: string }; project: { id: string }; 'OS-TRUST:trust': { id: string } } };
    assert.equal(doc.token['OS-TRUST:trust'].id, trustId);
    assert.equal(doc.token.user.id, ks.ids.alice);
    assert.equal(doc.token.project.id, ks.ids.projA);

    assert.equal((await api('DELETE', `/v2/alarms/${created.json.alarm_id}`)).status, 204);
    const gone = await fetch(`${ks.url}/OS-TRUST/trusts/${trustId}`, { headers: { 'x-auth-token': alice } });
    await gone.body?.cancel();
    assert.equal(gone.status, 404, 'the trust went with the alarm');
  });
});
