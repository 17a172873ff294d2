/**
 * Alarms end to end, as a cloud uses them: measures flow into the store and
 * the scheduled evaluator flips a Heat-style autoscaling alarm
 * (gnocchi_aggregation_by_resources_threshold over a server group), whose
 * pre-signed signal URL receives Aodh's payload; a composite alarm; an
 * e-mail through an in-process SMTP server; an event alarm fired by a
 * notification on the real RabbitMQ; and a notification pending while the
 * receiver is down, delivered exactly once after tally restarts.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { NotificationPublisher, osloEnvelope, osloNotification } from '../../collector/amqp/publish.js';
import { loadConfig } from '../../cli/config.js';
import { type RunningServer, startServer } from '../../cli/server.js';
import { AMQP_URL, deleteTopology, testNames, waitFor } from '../collector/amqp-helpers.js';
import { type Receiver, receiver } from '../helpers/http-receiver.js';
import { freePort } from '../helpers/free-port.js';
import { type TestServer, startTestServer } from '../helpers/tally-server.js';

const MEMBER = { 'x-user-id': 'u-ops', 'x-project-id': 'p-ops', 'x-roles': 'member' };
const ADMIN = { 'x-user-id': 'u-admin', 'x-project-id': 'p-admin', 'x-roles': 'admin' };

async function call(base: string, method: string, path: string, body?: unknown, who: Record<string, string> = MEMBER): Promise<any> {
  const res = await fetch(`${base}${path}`, { method, headers: { ...who, 'content-type': 'application/json', accept: 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** A policy with 1 s buckets, so that tests see data within seconds. */
const FAST_POLICY = { name: 'fast', back_window: 0, aggregation_methods: ['mean', 'max', 'min', 'last'], definition: [{ granularity: '1s', timespan: '1h' }] };

/** Posts `value` now for every metric, every 200 ms, until stopped: live data. */
function feed(base: string, metricIds: () => readonly string[], value: () => number): { stop(): void } {
  let on = true;
  void (async () => {
    while (on) {
      const ts = new Date().toISOString();
      const body = Object.fromEntries(metricIds().map((id) => [id, [{ timestamp: ts, value: value() }]]));
      await call(base, 'POST', '/v1/batch/metrics/measures', body, ADMIN).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return { stop: () => (on = false) };
}

describe('alarms end to end (scheduled evaluation every second)', () => {
  let tally: TestServer;
  let rx: Receiver;
  let smtp: SMTPServer;
  const mails: { to: string[]; data: string }[] = [];
  const metrics: Record<string, string> = {};
  let cpu = 90;
  let feeding: { stop(): void };

  before(async () => {
    rx = await receiver();
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, session, done) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          mails.push({ to: session.envelope.rcptTo.map((r) => r.address), data: Buffer.concat(chunks).toString('utf8') });
          done();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const smtpPort = (smtp.server.address() as AddressInfo).port;
    tally = await startTestServer({ evaluation_interval: 1, smtp_host: '127.0.0.1', smtp_port: smtpPort, smtp_from: 'tally@test', collector_creator: 'tally' }, { collector: false, alarms: true });
    await call(tally.url, 'POST', '/v1/archive_policy', FAST_POLICY, ADMIN);
    await call(tally.url, 'POST', '/v1/resource_type', { name: 'asg_member', attributes: { server_group: { type: 'string', required: false } } }, ADMIN);
    // two members of the scaling group, one outside it
    for (const [name, group] of [['web-1', 'stack-1'], ['web-2', 'stack-1'], ['db-1', 'stack-2']]) {
      const r = await call(tally.url, 'POST', '/v1/resource/asg_member', { id: randomUUID(), project_id: 'p-ops', server_group: group, metrics: { cpu_util: { archive_policy_name: 'fast' } } });
      metrics[name] = r.metrics.cpu_util;
    }
    feeding = feed(tally.url, () => Object.values(metrics), () => cpu);
  });

  after(async () => {
    feeding?.stop();
    await tally?.close();
    await rx?.close();
    await new Promise<void>((resolve) => smtp?.close(() => resolve()));
  });

  it('a Heat scaling alarm fires within an evaluation interval and signals the pre-signed URL with Aodh\'s payload', async () => {
    const signal = `/v1/signal/arn%3Aopenstack%3Aheat%3A%3Ap-ops%3Astacks%2Fstack-1%2Fscale_up?Timestamp=2026-11-26T00%3A00%3A00Z&SignatureMethod=HmacSHA256&AWSAccessKeyId=k&SignatureVersion=2&Signature=abc%2Bdef%3D`;
    const alarm = await call(tally.url, 'POST', '/v2/alarms', {
      name: 'scale-up',
      type: 'gnocchi_aggregation_by_resources_threshold',
      alarm_actions: [`${rx.base}${signal}`],
      ok_actions: [`${rx.base}/ok`],
      gnocchi_aggregation_by_resources_threshold_rule: {
        metric: 'cpu_util',
        resource_type: 'asg_member',
        query: JSON.stringify({ '=': { server_group: 'stack-1' } }),
        aggregation_method: 'mean',
        granularity: 1,
        evaluation_periods: 1,
        comparison_operator: 'gt',
        threshold: 80,
      },
    });
    const created = Date.now();
    await waitFor(() => rx.requests.some((r) => r.url === signal), 10_000, 'the scale-up signal', () => rx.requests.map((r) => r.url));
    const elapsed = Date.now() - created;
    const got = rx.requests.find((r) => r.url === signal)!;
    assert.equal(got.method, 'POST');
    assert.equal(got.headers['content-type'], 'application/json');
    assert.match(String(got.headers['x-openstack-request-id']), /^req-[0-9a-f-]{36}$/);
    const body = JSON.parse(got.body);
    assert.deepEqual(Object.keys(body), ['alarm_name', 'alarm_id', 'severity', 'previous', 'current', 'reason', 'reason_data']);
    assert.equal(body.alarm_id, alarm.alarm_id);
    assert.equal(body.previous, 'insufficient data');
    assert.equal(body.current, 'alarm');
    assert.equal(body.reason, 'Transition to alarm due to 1 samples outside threshold, most recent: 90.0');
    assert.deepEqual(body.reason_data, { type: 'threshold', disposition: 'outside', count: 1, most_recent: 90 });
    // data arrives every 200 ms, is aggregated within ~100 ms, and evaluated every second
    assert.ok(elapsed < 4000, `fired ${elapsed} ms after creation`);

    const history = await call(tally.url, 'GET', `/v2/alarms/${alarm.alarm_id}/history`);
    const transition = history.find((h: { type: string }) => h.type === 'state transition');
    assert.equal(JSON.parse(transition.detail).state, 'alarm');
    await waitFor(async () => (await call(tally.url, 'GET', `/v2/alarms/${alarm.alarm_id}/history`)).some((h: { type: string }) => h.type === 'action'), 5000, 'the delivery in history');
    const action = (await call(tally.url, 'GET', `/v2/alarms/${alarm.alarm_id}/history`)).find((h: { type: string }) => h.type === 'action');
    assert.equal(JSON.parse(action.detail).outcome, 'delivered');
    assert.equal(JSON.parse(action.detail).status, 200);

    // load drops: the group's mean goes under the threshold, the alarm returns to ok and says so
    cpu = 20;
    try {
      await waitFor(() => rx.requests.some((r) => r.url === '/ok'), 10_000, 'the ok signal');
    } finally {
      cpu = 90;
    }
    const ok = JSON.parse(rx.requests.find((r) => r.url === '/ok')!.body);
    assert.equal(ok.previous, 'alarm');
    assert.equal(ok.current, 'ok');
    // the second the load dropped in may average both levels: any mean under the threshold
    const m = /^Transition to ok due to 1 samples inside threshold, most recent: (\d+\.\d+)$/.exec(ok.reason);
    assert.ok(m && Number(m[1]) <= 80 && Number(m[1]) >= 20, ok.reason);
    const explain = await call(tally.url, 'GET', `/v2/alarms/${alarm.alarm_id}/explain`);
    assert.equal(explain.evaluated, true);
    assert.equal(explain.rules[0].read.kind, 'resources');
    assert.ok(explain.rules[0].datapoints.length >= 1);
  });

  it('a composite alarm fires when both of its rules do, and names them', async () => {
    const leaf = (name: string, threshold: number) => ({ type: 'gnocchi_resources_threshold', metric: 'cpu_util', resource_id: '', resource_type: 'asg_member', threshold, aggregation_method: 'max', granularity: 1, comparison_operator: 'gt', name });
    const ids = await call(tally.url, 'GET', '/v1/resource/asg_member', undefined, ADMIN);
    const idOf = (metric: string): string => ids.find((r: { metrics: Record<string, string> }) => r.metrics.cpu_util === metric).id;
    const rules = [leaf('web-1', 50), leaf('web-2', 60)].map(({ name, ...r }) => ({ ...r, resource_id: idOf(metrics[name]) }));
    const alarm = await call(tally.url, 'POST', '/v2/alarms', { name: 'both-busy', type: 'composite', severity: 'critical', alarm_actions: [`${rx.base}/composite`], composite_rule: { and: rules } });
    await waitFor(() => rx.requests.some((r) => r.url === '/composite'), 10_000, 'the composite notification');
    const body = JSON.parse(rx.requests.find((r) => r.url === '/composite')!.body);
    assert.equal(body.alarm_id, alarm.alarm_id);
    assert.equal(body.severity, 'critical');
    assert.equal(body.current, 'alarm');
    assert.equal(body.reason, 'Composite rule alarm with composition form: (rule1 and rule2) transition to alarm, due to rules: rule1, rule2 outside their threshold.');
    assert.equal(body.reason_data.type, 'composite');
    assert.equal(body.reason_data.composition_form, '(rule1 and rule2)');
    assert.deepEqual(Object.keys(body.reason_data.causative_rules).sort(), ['rule1', 'rule2']);
  });

  it('an e-mail reaches the SMTP server', async () => {
    const alarm = await call(tally.url, 'POST', '/v2/alarms', {
      name: 'db-hot',
      type: 'gnocchi_aggregation_by_metrics_threshold',
      severity: 'moderate',
      alarm_actions: ['mailto:ops@example.org,oncall@example.org'],
      gnocchi_aggregation_by_metrics_threshold_rule: { metrics: [metrics['db-1']], aggregation_method: 'mean', granularity: 1, comparison_operator: 'ge', threshold: 50 },
    });
    await waitFor(() => mails.length > 0, 10_000, 'the mail');
    assert.deepEqual(mails[0].to.sort(), ['oncall@example.org', 'ops@example.org']);
    assert.match(mails[0].data, /^Subject: .*db-hot.*alarm/m);
    assert.match(mails[0].data, new RegExp(String(alarm.alarm_id)));
    assert.match(mails[0].data, /Transition to alarm due to 1 samples outside threshold/);
  });
});

describe('an event alarm fired by a notification on RabbitMQ', () => {
  const names = testNames('alarm', ['nova']);
  let tally: TestServer;
  let rx: Receiver;

  before(async () => {
    rx = await receiver();
    tally = await startTestServer(
      { evaluation_interval: 0, amqp_url: AMQP_URL, amqp_exchanges: names.exchanges.join(','), amqp_topics: names.topic, amqp_dead_letter_queue: `${names.prefix}-dead` },
      { collector: true, alarms: true },
    );
  });
  after(async () => {
    await tally?.close();
    await rx?.close();
    await deleteTopology([`${names.topic}.info`, `${names.topic}.sample`, `${names.topic}.error`, `${names.prefix}-dead`], names.exchanges);
  });

  it('compute.instance.delete.end of the watched instance fires the alarm of its project, once', async () => {
    const instance = randomUUID();
    const project = 'p-events';
    const member = { 'x-user-id': 'u-ev', 'x-project-id': project, 'x-roles': 'member' };
    const alarm = await call(tally.url, 'POST', '/v2/alarms', {
      name: 'instance-gone',
      type: 'event',
      alarm_actions: [`${rx.base}/event`],
      event_rule: { event_type: 'compute.instance.delete.end', query: [{ field: 'traits.instance_id', op: 'eq', type: 'string', value: instance }] },
    }, member);
    // another project's identical alarm must stay quiet
    const other = await call(tally.url, 'POST', '/v2/alarms', { name: 'not-mine', type: 'event', event_rule: { event_type: 'compute.instance.delete.end' } }, { ...member, 'x-project-id': 'p-other' });
    const publisher = await NotificationPublisher.connect(AMQP_URL, { declareLikeOslo: true });
    const notification = (id: string, messageId: string) =>
      osloNotification({
        eventType: 'compute.instance.delete.end',
        publisherId: 'compute.compute-0',
        messageId,
        payload: { tenant_id: project, user_id: 'u-ev', instance_id: id, display_name: 'web-9', host: 'compute-0', state: 'deleted', deleted_at: new Date().toISOString(), instance_type: 'm1.small', memory_mb: 512, vcpus: 1, root_gb: 1, disk_gb: 1 },
      });
    const messageId = randomUUID();
    try {
      const routingKey = `${names.topic}.info`;
      await publisher.publish({ exchange: names.exchanges[0], routingKey, body: osloEnvelope(notification(randomUUID(), randomUUID())) });
      await publisher.publish({ exchange: names.exchanges[0], routingKey, body: osloEnvelope(notification(instance, messageId)) });
      // redelivered (same message id): counted once, fires nothing more
      await publisher.publish({ exchange: names.exchanges[0], routingKey, body: osloEnvelope(notification(instance, messageId)) });
    } finally {
      await publisher.close();
    }
    await waitFor(() => rx.requests.length > 0, 15_000, 'the event notification');
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(rx.requests.length, 1, 'one event matched, once');
    const body = JSON.parse(rx.requests[0].body);
    assert.equal(body.alarm_id, alarm.alarm_id);
    assert.equal(body.current, 'alarm');
    assert.match(body.reason, new RegExp(`^Event <id=${messageId},event_type=compute.instance.delete.end> hits the query <query=\\[\\{"field": "traits.instance_id", "op": "eq", "type": "string", "value": "${instance}"\\}\\]>\\.$`));
    assert.equal(body.reason_data.type, 'event');
    assert.equal(body.reason_data.event.message_id, messageId);
    assert.equal((await call(tally.url, 'GET', `/v2/alarms/${other.alarm_id}`, undefined, ADMIN)).state, 'insufficient data');
  });
});

describe('a pending notification survives a restart and is delivered once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-alarm-restart-'));
  let server: RunningServer | null = null;
  let rx: Receiver | null = null;
  const start = async (port: number): Promise<RunningServer> => {
    const config = { ...loadConfig({ env: {} }), port, data_dir: dir, log_level: 'warn', processing_interval_ms: 50, evaluation_interval: 0, notifier_retry_base: 1 };
    return startServer(config, () => undefined, { collector: false, alarms: true });
  };
  after(async () => {
    await server?.stop();
    await rx?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the receiver is down, tally restarts, the receiver comes up: one delivery', async () => {
    const apiPort = await freePort();
    const receiverPort = await freePort();
    server = await start(apiPort);
    const base = server.url;
    await call(base, 'POST', '/v1/archive_policy', FAST_POLICY, ADMIN);
    const metric = await call(base, 'POST', '/v1/metric', { archive_policy_name: 'fast' }, MEMBER);
    const alarm = await call(base, 'POST', '/v2/alarms', {
      name: 'pending',
      type: 'gnocchi_aggregation_by_metrics_threshold',
      alarm_actions: [`http://127.0.0.1:${receiverPort}/hook`],
      gnocchi_aggregation_by_metrics_threshold_rule: { metrics: [metric.id], aggregation_method: 'mean', granularity: 1, comparison_operator: 'gt', threshold: 1 },
    });
    await call(base, 'POST', `/v1/metric/${metric.id}/measures`, [{ timestamp: new Date(Date.now() - 1000).toISOString(), value: 5 }], MEMBER);
    await waitFor(async () => (await call(base, 'GET', `/v1/metric/${metric.id}/measures?granularity=1`, undefined, MEMBER)).length > 0, 5000, 'aggregated data');
    const stats = await server.alarms!.evaluate();
    assert.equal(stats.transitions, 1);
    const attempts = async (): Promise<{ outcome: string }[]> =>
      (await call(base, 'GET', `/v2/alarms/${alarm.alarm_id}/history`)).filter((h: { type: string }) => h.type === 'action').map((h: { detail: string }) => JSON.parse(h.detail));
    await waitFor(async () => (await attempts()).length > 0, 5000, 'a failed attempt');
    assert.equal((await attempts())[0].outcome, 'retrying');
    await server.stop();
    server = null;

    rx = await receiverOn(receiverPort);
    server = await start(apiPort);
    await waitFor(() => rx!.requests.length > 0, 10_000, 'the delivery after the restart');
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(rx.requests.length, 1, 'delivered exactly once');
    assert.equal(JSON.parse(rx.requests[0].body).alarm_id, alarm.alarm_id);
    const outcomes = (await attempts()).map((a) => a.outcome);
    assert.equal(outcomes[0], 'delivered', 'newest first');
    assert.ok(outcomes.slice(1).every((o) => o === 'retrying'));
  });
});

/** The receiver on a given port (the one the alarm's action names). */
async function receiverOn(port: number): Promise<Receiver> {
  return receiver(undefined, undefined, port);
}
