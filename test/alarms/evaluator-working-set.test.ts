/**
 * The evaluator keeps the alarms it read and, each cycle, reads again only
 * those whose version (definition time, state, state time) changed. A change
 * made by another process — straight in the shared database, with no word to
 * this evaluator — must be seen at the next cycle, and a deleted or disabled
 * alarm must drop out of it. On PGlite and on a PostgreSQL server, with the
 * notification of the change going through the outbox.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Alarm, MetricsAggregationRule } from '../../alarms/model.js';
import { waitFor } from '../collector/amqp-helpers.js';
import { indexTargets } from '../helpers/index-targets.js';
import { type TestServer, startTestServer } from '../helpers/tally-server.js';

const WHO = { 'x-user-id': 'u', 'x-project-id': 'p', 'x-roles': 'admin', 'content-type': 'application/json', accept: 'application/json' };

const targets = indexTargets();
after(async () => {
  for (const target of targets) await target.cleanup();
});

// the alarm tables on the index's database: embedded PGlite and a PostgreSQL server
for (const target of targets) describe(`the evaluator's working set (index on ${target.driver})`, () => {
  let tally: TestServer;
  before(async () => {
    tally = await startTestServer({ evaluation_interval: 0, index_url: target.driver === 'pglite' ? '' : await target.create() }, { collector: false, alarms: true });
  });
  after(async () => tally?.close());

  const call = async (method: string, path: string, body?: unknown): Promise<any> => {
    const res = await fetch(`${tally.url}${path}`, { method, headers: WHO, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };

  it('sees changes made behind its back, and forgets deleted and disabled alarms', async () => {
    await call('POST', '/v1/archive_policy', { name: 'fast', back_window: 0, aggregation_methods: ['mean'], definition: [{ granularity: '1s', timespan: '1h' }] });
    const metric = await call('POST', '/v1/metric', { archive_policy_name: 'fast' });
    const at = Math.floor(Date.now() / 1000) * 1000 - 1000;
    await call('POST', `/v1/metric/${metric.id}/measures`, [{ timestamp: new Date(at).toISOString(), value: 5 }]);
    await waitFor(async () => (await call('GET', `/v1/metric/${metric.id}/measures?granularity=1`)).length > 0, 5000, 'aggregated data');
    const rule = { metrics: [metric.id], aggregation_method: 'mean', granularity: 1, comparison_operator: 'gt', threshold: 10 };
    const a = await call('POST', '/v2/alarms', { name: 'a', type: 'gnocchi_aggregation_by_metrics_threshold', alarm_actions: ['log://'], gnocchi_aggregation_by_metrics_threshold_rule: rule });
    const b = await call('POST', '/v2/alarms', { name: 'b', type: 'gnocchi_aggregation_by_metrics_threshold', gnocchi_aggregation_by_metrics_threshold_rule: rule });
    const service = tally.alarms!;
    // every cycle at the same instant, 1.5 s after the measure: its bucket is the one evaluated
    const now = (): number => (at + 1500) * 1000;
    // 5 is not above 10: both ok
    await service.evaluate(now());
    assert.equal((await call('GET', `/v2/alarms/${a.alarm_id}`)).state, 'ok');

    // another process lowers a's threshold in the shared table (no API of this process involved)
    const stored = (await service.store.get(a.alarm_id)) as Alarm;
    const changed: Alarm = { ...stored, rule: { ...(stored.rule as MetricsAggregationRule), threshold: 1 }, timestamp: stored.timestamp + 1 };
    assert.ok(await service.store.update(changed, null));
    // and another deletes b
    await service.store.delete(b.alarm_id);
    const stats = await service.evaluate(now());
    assert.equal(stats.alarms, 1, 'b is gone from the working set');
    assert.equal((await call('GET', `/v2/alarms/${a.alarm_id}`)).state, 'alarm', 'the new threshold was read');
    // its notification went through the outbox: queued with the change, delivered, recorded
    const delivered = async (): Promise<boolean> =>
      (await call('GET', `/v2/alarms/${a.alarm_id}/history`)).some((h: { type: string; detail: string }) => h.type === 'action' && JSON.parse(h.detail).outcome === 'delivered');
    await waitFor(delivered, 5000, 'the log:// delivery in the history');

    // explained from what its batch read: the rule, its datapoint, the comparison
    const why = await call('GET', `/v2/alarms/${a.alarm_id}/explain`);
    assert.equal(why.evaluated, true);
    assert.deepEqual(why.rules[0].evaluated.map((p: [string, number]) => p[1]), [5]);
    assert.deepEqual(why.rules[0].comparison.outside_threshold, [true]);
    // the transition, rebuilt from the previous state and the outcomes, is the one that was written
    const current = await call('GET', `/v2/alarms/${a.alarm_id}`);
    assert.equal(why.transition.state, 'alarm');
    assert.equal(why.transition.reason, current.state_reason);
    assert.equal(why.transition.reason_data.disposition, 'outside');

    // a cycle leaves no timer behind: a pending one would hold its batch in memory until it fired
    // (other parts keep a timer or two of their own: the count must not grow with the cycles)
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    await service.evaluate(now());
    const before = timers();
    for (let i = 0; i < 6; i++) await service.evaluate(now());
    assert.ok(timers() <= before + 1, `${timers()} timers after 6 more cycles, ${before} before`);

    // disabled behind its back: not evaluated any more
    assert.ok(await service.store.update({ ...changed, enabled: false, timestamp: changed.timestamp + 1, state: 'alarm' }, null));
    assert.equal((await service.evaluate(now())).alarms, 0);
  });
});
