/**
 * The notification outbox and the notifiers, end to end on real parts: an
 * AlarmStore on PGlite, notifications enqueued as the evaluator does
 * (applyStateUpdates), the OutboxWorker delivering them to node:http(s)
 * receivers on 127.0.0.1, an in-process SMTP server, and a real Keystone for
 * trust+http. Proves Aodh's body and headers, retries with backoff and their
 * history lines, permanent failures, TLS verification and its per-URL
 * override, at-least-once delivery across a restart, and trust-scoped tokens.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { SMTPServer } from 'smtp-server';
import type { Alarm, AlarmChange, AlarmNotification } from '../../alarms/model.js';
import { createNotifiers } from '../../alarms/notifiers/index.js';
import { KeystoneTrusts } from '../../alarms/notifiers/keystone-trusts.js';
import type { Notifiers } from '../../alarms/notifiers/notifier.js';
import { OutboxWorker, type OutboxWorkerOptions } from '../../alarms/notifiers/outbox.js';
import { WebhookNotifier } from '../../alarms/notifiers/webhook.js';
import { AlarmStore } from '../../alarms/store/alarm-store.js';
import { type Sql, openSql } from '../../tsdb/index/sql.js';
import { KEYSTONE_NEEDS, type RealKeystone, issueToken, startRealKeystone } from '../helpers/real-keystone.js';
import { requires } from '../lib/requirements.js';
import { ok, receiver } from '../helpers/http-receiver.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'tally-notifiers-'));
const logLines: string[] = [];
const log = (line: string): void => void logLines.push(line);
let sql: Sql;
let store: AlarmStore;
let notifiers: Notifiers;

before(async () => {
  sql = await openSql(join(dir, 'db'));
  store = await AlarmStore.open(sql);
  notifiers = createNotifiers({ log, webhook: { timeoutMs: 2_000 } });
});

after(async () => {
  await sql?.close();
  rmSync(dir, { recursive: true, force: true });
});

// ---- fixtures ----------------------------------------------------------------

const PROJECT = 'proj-1';

function alarmRow(name: string): Alarm {
  const now = Date.now() * 1000;
  return {
    alarm_id: randomUUID(),
    type: 'gnocchi_resources_threshold',
    name,
    description: '',
    enabled: true,
    user_id: 'user-1',
    project_id: PROJECT,
    state: 'ok',
    state_reason: 'Not evaluated yet',
    severity: 'critical',
    ok_actions: [],
    alarm_actions: [],
    insufficient_data_actions: [],
    repeat_actions: false,
    rule: { comparison_operator: 'gt', threshold: 90, aggregation_method: 'mean', evaluation_periods: 3, granularity: 60, metric: 'cpu', resource_id: 'r1', resource_type: 'instance' },
    time_constraints: [],
    timestamp: now,
    state_timestamp: now,
    evaluate_timestamp: null,
  };
}

const REASON = 'Transition to alarm due to 3 samples outside threshold, most recent: 92.5';
const REASON_DATA = { type: 'threshold', disposition: 'outside', count: 3, most_recent: 92.5 };

/** A new alarm going ok → alarm with these actions, enqueued as the evaluator does; returns the alarm. */
async function transition(target: AlarmStore, actions: readonly string[], name = 'cpu high'): Promise<Alarm> {
  const alarm = alarmRow(name);
  await target.create(alarm, null);
  const at = Date.now() * 1000;
  const notifications: AlarmNotification[] = actions.map((action) => ({
    action,
    alarm_id: alarm.alarm_id,
    alarm_name: alarm.name,
    severity: alarm.severity,
    previous: 'ok',
    current: 'alarm',
    reason: REASON,
    reason_data: REASON_DATA,
  }));
  const change: AlarmChange = {
    event_id: randomUUID(),
    alarm_id: alarm.alarm_id,
    type: 'state transition',
    detail: JSON.stringify({ state: 'alarm', transition_reason: REASON }),
    user_id: null,
    project_id: null,
    on_behalf_of: PROJECT,
    severity: alarm.severity,
    timestamp: at,
  };
  await target.applyStateUpdates([{ alarmId: alarm.alarm_id, projectId: PROJECT, state: 'alarm', reason: REASON, at, change, notifications }]);
  return alarm;
}

interface ActionLine {
  readonly change: AlarmChange;
  readonly detail: { action: string; attempt: number; outcome: string; status: number | null; error: string | null; previous: string; current: string };
}

async function actionLines(alarmId: string, target: AlarmStore = store): Promise<ActionLine[]> {
  const lines = await target.history(alarmId, { type: 'action' }, { sort: [['timestamp', 'asc']] });
  return lines.map((change) => ({ change, detail: JSON.parse(change.detail) as ActionLine['detail'] }));
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const fastWorker = (options: Partial<OutboxWorkerOptions> = {}): OutboxWorker =>
  new OutboxWorker({ store, notifiers, pollMs: 50, backoffBaseSeconds: 0.05, log, ...options });

// ---- webhooks ------------------------------------------------------------------

describe('webhooks through the outbox', () => {
  test("http: Aodh's exact body and headers; the signed query string untouched; one 'delivered' history line", async (t) => {
    const rx = await receiver();
    const worker = fastWorker();
    t.after(async () => {
      await worker.stop();
      await rx.close();
    });
    // a Heat pre-signed alarm_url, sent as an ordinary webhook
    const path =
      '/v1/signal/arn%3Aopenstack%3Aheat%3A%3A0123%3Astacks%2Fs%2F4567%2Fresources%2Fup?Timestamp=2024-05-01T10%3A00%3A00Z&SignatureMethod=HmacSHA256&AWSAccessKeyId=ab12&SignatureVersion=2&Signature=k2%2Bx%2FY%3D';
    const alarm = await transition(store, [`${rx.base}${path}`], 'cpu high ☃');
    worker.start();
    worker.kick();
    await waitFor('the delivery', async () => (await store.pendingCount()) === 0);

    assert.equal(rx.requests.length, 1);
    const [req] = rx.requests;
    assert.equal(req.method, 'POST');
    assert.equal(req.url, path);
    assert.equal(req.headers['content-type'], 'application/json');
    assert.match(String(req.headers['x-openstack-request-id']), /^req-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(req.headers['content-length'], String(Buffer.byteLength(req.body)));
    // json.dumps of rest.py's dict, reason_data's keys in the evaluator's order (the outbox keeps it)
    assert.equal(
      req.body,
      `{"alarm_name": "cpu high \\u2603", "alarm_id": "${alarm.alarm_id}", "severity": "critical", "previous": "ok", "current": "alarm", ` +
        `"reason": "${REASON}", "reason_data": {"type": "threshold", "disposition": "outside", "count": 3, "most_recent": 92.5}}`,
    );

    const lines = await actionLines(alarm.alarm_id);
    assert.equal(lines.length, 1);
    assert.deepEqual(lines[0].detail, { action: `${rx.base}${path}`, attempt: 1, outcome: 'delivered', status: 200, error: null, previous: 'ok', current: 'alarm' });
    assert.equal(lines[0].change.detail.startsWith('{"action": '), true);
    assert.equal(lines[0].change.on_behalf_of, PROJECT);
    assert.equal(lines[0].change.user_id, null);
    assert.equal(lines[0].change.project_id, null);
    assert.equal(lines[0].change.severity, 'critical');
    assert.ok(Math.abs(lines[0].change.timestamp - Date.now() * 1000) < 10e6);
    assert.deepEqual(worker.stats(), { delivered: 1, failedAttempts: 0, abandoned: 0, inFlight: 0 });
  });

  test('500, 500, then 200: three deliveries and three history lines (retrying, retrying, delivered)', async (t) => {
    const rx = await receiver((_req, res, n) => (n <= 2 ? res.writeHead(500).end('database is down') : res.writeHead(200).end()));
    const worker = fastWorker();
    t.after(async () => {
      await worker.stop();
      await rx.close();
    });
    const alarm = await transition(store, [`${rx.base}/hook`]);
    const t0 = Date.now();
    worker.start();
    await waitFor('the third attempt', async () => (await store.pendingCount()) === 0);
    // backoff 0.05 s then 0.1 s, each at least halved by the jitter
    assert.ok(Date.now() - t0 >= 75, `${Date.now() - t0} ms`);

    assert.equal(rx.requests.length, 3);
    assert.equal(new Set(rx.requests.map((r) => r.body)).size, 1, 'the same body each time');
    assert.equal(new Set(rx.requests.map((r) => r.headers['x-openstack-request-id'])).size, 3, 'a request id per attempt');
    const lines = await actionLines(alarm.alarm_id);
    assert.deepEqual(
      lines.map((l) => [l.detail.attempt, l.detail.outcome, l.detail.status, l.detail.error]),
      [
        [1, 'retrying', 500, 'HTTP 500 Internal Server Error: database is down'],
        [2, 'retrying', 500, 'HTTP 500 Internal Server Error: database is down'],
        [3, 'delivered', 200, null],
      ],
    );
    assert.deepEqual(worker.stats(), { delivered: 1, failedAttempts: 2, abandoned: 0, inFlight: 0 });
  });

  test('404: abandoned after one attempt', async (t) => {
    const rx = await receiver((_req, res) => res.writeHead(404, { 'content-type': 'application/json' }).end('{"error": "no such hook"}'));
    const worker = fastWorker();
    t.after(async () => {
      await worker.stop();
      await rx.close();
    });
    const alarm = await transition(store, [`${rx.base}/gone`]);
    worker.start();
    await waitFor('the attempt', async () => (await store.pendingCount()) === 0);
    await new Promise((r) => setTimeout(r, 200)); // nothing comes after
    assert.equal(rx.requests.length, 1);
    const lines = await actionLines(alarm.alarm_id);
    assert.deepEqual(
      lines.map((l) => [l.detail.attempt, l.detail.outcome, l.detail.status, l.detail.error]),
      [[1, 'abandoned', 404, 'HTTP 404 Not Found: {"error": "no such hook"}']],
    );
    assert.deepEqual(worker.stats(), { delivered: 0, failedAttempts: 1, abandoned: 1, inFlight: 0 });
  });

  test('a receiver that keeps failing is given up after maxAttempts', async (t) => {
    const rx = await receiver((_req, res) => res.writeHead(503, { 'retry-after': '0' }).end());
    const worker = fastWorker({ maxAttempts: 3 });
    t.after(async () => {
      await worker.stop();
      await rx.close();
    });
    const alarm = await transition(store, [`${rx.base}/busy`]);
    worker.start();
    await waitFor('the attempts', async () => (await store.pendingCount()) === 0);
    assert.equal(rx.requests.length, 3);
    assert.deepEqual(
      (await actionLines(alarm.alarm_id)).map((l) => l.detail.outcome),
      ['retrying', 'retrying', 'abandoned'],
    );
  });

  test('unknown scheme, unconfigured mailto: and log://: abandoned with the reason, or one log line', async (t) => {
    const worker = fastWorker();
    t.after(() => worker.stop());
    const alarm = await transition(store, ['zaqar://?queue_name=q', 'mailto:ops@example.org', 'log://'], 'disk full');
    worker.start();
    await waitFor('the attempts', async () => (await store.pendingCount()) === 0);
    const byAction = new Map((await actionLines(alarm.alarm_id)).map((l) => [l.detail.action, l.detail]));
    assert.equal(byAction.get('zaqar://?queue_name=q')?.outcome, 'abandoned');
    assert.match(String(byAction.get('zaqar://?queue_name=q')?.error), /unknown action scheme "zaqar"/);
    assert.equal(byAction.get('mailto:ops@example.org')?.outcome, 'abandoned');
    assert.match(String(byAction.get('mailto:ops@example.org')?.error), /SMTP relay/);
    assert.equal(byAction.get('log://')?.outcome, 'delivered');
    assert.ok(logLines.includes(`Notifying alarm disk full ${alarm.alarm_id} of critical priority from ok to alarm with action log:// because ${REASON}.`));
  });

  test('a connection refused is retried; a receiver that does not answer times out', async (t) => {
    const hang = await receiver(() => undefined);
    const gone = await receiver();
    await gone.close();
    t.after(() => hang.close());
    const webhook = new WebhookNotifier({ timeoutMs: 200 });
    const n = (action: string): AlarmNotification => ({ action, alarm_id: 'a', alarm_name: 'n', severity: 'low', previous: 'ok', current: 'alarm', reason: 'r', reason_data: {} });
    const refused = await webhook.deliver(n(`${gone.base}/x`), new AbortController().signal);
    assert.equal(refused.delivered, false);
    assert.ok(!refused.delivered && refused.retryable && /ECONNREFUSED/.test(refused.error), JSON.stringify(refused));
    const t0 = Date.now();
    const slow = await webhook.deliver(n(`${hang.base}/x`), new AbortController().signal);
    assert.ok(!slow.delivered && slow.retryable && slow.error === 'no complete answer within 0.2 s', JSON.stringify(slow));
    assert.ok(Date.now() - t0 < 1_500);
  });

  test('entries in flight are never taken twice; at most `concurrency` deliveries at once', async (t) => {
    let active = 0;
    let peak = 0;
    const rx = await receiver((_req, res) => {
      active++;
      peak = Math.max(peak, active);
      setTimeout(() => {
        active--;
        res.writeHead(204).end();
      }, 60);
    });
    const worker = fastWorker({ concurrency: 4 });
    t.after(async () => {
      await worker.stop();
      await rx.close();
    });
    const alarm = await transition(store, Array.from({ length: 20 }, (_, i) => `${rx.base}/n/${i}`));
    worker.start();
    await waitFor('20 deliveries', async () => (await store.pendingCount()) === 0);
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(rx.requests.map((r) => r.url).sort(), Array.from({ length: 20 }, (_, i) => `/n/${i}`).sort());
    assert.ok(peak <= 4 && peak >= 2, `peak ${peak}`);
    assert.equal((await actionLines(alarm.alarm_id)).length, 20);
  });

  test('stop() waits for a delivery in flight', async (t) => {
    const rx = await receiver((_req, res) => setTimeout(() => res.writeHead(200).end(), 300));
    const worker = fastWorker();
    t.after(() => rx.close());
    const alarm = await transition(store, [`${rx.base}/slow`]);
    worker.start();
    await waitFor('the request', () => rx.requests.length === 1);
    await worker.stop();
    assert.deepEqual((await actionLines(alarm.alarm_id)).map((l) => l.detail.outcome), ['delivered']);
    assert.equal(await store.pendingCount(), 0);
  });
});

// ---- https ---------------------------------------------------------------------

describe('https', () => {
  const certs = join(dir, 'certs');
  let server: { cert: Buffer; key: Buffer };
  let clientCert: string;
  let clientKey: string;
  let serverCertFile: string;

  before(async () => {
    await run('mkdir', ['-p', certs]);
    serverCertFile = join(certs, 'server.pem');
    const serverKey = join(certs, 'server-key.pem');
    clientCert = join(certs, 'client.pem');
    clientKey = join(certs, 'client-key.pem');
    const req = (cert: string, key: string, subject: string, ext: string[]): Promise<unknown> =>
      run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', subject, ...ext]);
    await Promise.all([
      req(serverCertFile, serverKey, '/CN=127.0.0.1', ['-addext', 'subjectAltName=IP:127.0.0.1']),
      req(clientCert, clientKey, '/CN=tally-notifier', []),
    ]);
    server = { cert: readFileSync(serverCertFile), key: readFileSync(serverKey) };
  });

  const n = (action: string): AlarmNotification => ({ action, alarm_id: 'a', alarm_name: 'n', severity: 'low', previous: 'ok', current: 'alarm', reason: 'r', reason_data: {} });
  const signal = new AbortController().signal;

  test('a self-signed certificate fails verification; ?aodh-alarm-ssl-verify=0 turns it off, =1 back on; a CA bundle trusts it', async (t) => {
    const rx = await receiver(ok, server);
    t.after(() => rx.close());
    const verifying = new WebhookNotifier();
    const refused = await verifying.deliver(n(`${rx.base}/hook`), signal);
    assert.ok(!refused.delivered && refused.retryable && /self[- ]signed/i.test(refused.error), JSON.stringify(refused));
    assert.equal(rx.requests.length, 0);

    const off = await verifying.deliver(n(`${rx.base}/hook?aodh-alarm-ssl-verify=0`), signal);
    assert.deepEqual(off, { delivered: true, status: 200, requestId: off.requestId });
    // the option stays in the URL the receiver sees, as with Aodh
    assert.equal(rx.requests[0].url, '/hook?aodh-alarm-ssl-verify=0');

    const lax = new WebhookNotifier({ tls: { verify: false } });
    assert.equal((await lax.deliver(n(`${rx.base}/hook`), signal)).delivered, true);
    assert.equal((await lax.deliver(n(`${rx.base}/hook?aodh-alarm-ssl-verify=1`), signal)).delivered, false);
    const bad = await lax.deliver(n(`${rx.base}/hook?aodh-alarm-ssl-verify=yes`), signal);
    assert.ok(!bad.delivered && !bad.retryable && /must be 0 or 1/.test(bad.error));

    const bundled = new WebhookNotifier({ tls: { caFile: serverCertFile } });
    assert.equal((await bundled.deliver(n(`${rx.base}/hook`), signal)).delivered, true);
  });

  test('the client certificate is presented', async (t) => {
    const rx = await receiver(ok, { ...server, requestCert: true, rejectUnauthorized: true, ca: readFileSync(clientCert) });
    t.after(() => rx.close());
    const anonymous = await new WebhookNotifier({ tls: { caFile: serverCertFile } }).deliver(n(`${rx.base}/mtls`), signal);
    assert.equal(anonymous.delivered, false);
    const withCert = await new WebhookNotifier({ tls: { caFile: serverCertFile, certFile: clientCert, keyFile: clientKey } }).deliver(n(`${rx.base}/mtls`), signal);
    assert.equal(withCert.delivered, true, JSON.stringify(withCert));
    assert.equal(rx.requests.at(-1)?.peerSubject, 'tally-notifier');
  });

  test('through the outbox: verify on retries, ?aodh-alarm-ssl-verify=0 delivers', async (t) => {
    const rx = await receiver(ok, server);
    const worker = fastWorker({ maxAttempts: 2 });
    t.after(async () => {
      await worker.stop();
      await rx.close();
    });
    const alarm = await transition(store, [`${rx.base}/strict`, `${rx.base}/lax?aodh-alarm-ssl-verify=0`]);
    worker.start();
    await waitFor('the attempts', async () => (await store.pendingCount()) === 0);
    const lines = await actionLines(alarm.alarm_id);
    assert.deepEqual(
      lines.filter((l) => l.detail.action.endsWith('/strict')).map((l) => l.detail.outcome),
      ['retrying', 'abandoned'],
    );
    assert.deepEqual(
      lines.filter((l) => l.detail.action.endsWith('=0')).map((l) => [l.detail.outcome, l.detail.status]),
      [['delivered', 200]],
    );
    assert.deepEqual(rx.requests.map((r) => r.url), ['/lax?aodh-alarm-ssl-verify=0']);
  });
});

// ---- mailto --------------------------------------------------------------------

interface Mail {
  readonly from: string;
  readonly rcptTo: string[];
  readonly raw: string;
}

/** The decoded text part of a single-part mail (nodemailer writes quoted-printable for non-ASCII). */
function mailBody(raw: string): string {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split);
  const body = raw.slice(split + 4);
  if (!/content-transfer-encoding:\s*quoted-printable/i.test(head)) return body;
  const bytes = body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

const header = (raw: string, name: string): string | undefined =>
  new RegExp(`^${name}: (.*(?:\\r\\n[ \\t].*)*)`, 'im').exec(raw.slice(0, raw.indexOf('\r\n\r\n')))?.[1].replace(/\r\n[ \t]/g, ' ');

describe('mailto', () => {
  test('a mail through an SMTP server: recipients, default and given subjects, the details; a refused recipient is final', async (t) => {
    const mails: Mail[] = [];
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo(address, _session, callback) {
        if (address.address.startsWith('nobody@')) return callback(Object.assign(new Error('5.1.1 no such mailbox'), { responseCode: 550 }));
        callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            rcptTo: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const port = (smtp.server.address() as AddressInfo).port;
    const mailNotifiers = createNotifiers({ log, smtp: { host: '127.0.0.1', port, secure: false, from: 'tally <tally@example.org>', timeoutMs: 5_000 } });
    const worker = new OutboxWorker({ store, notifiers: mailNotifiers, pollMs: 50, backoffBaseSeconds: 0.05, log });
    t.after(async () => {
      await worker.stop();
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    });

    const alarm = await transition(store, ['mailto:ops@example.org,oncall@example.org?cc=lead@example.org', 'mailto:dev@example.org?subject=CPU%20on%20web-1', 'mailto:nobody@example.org'], 'web-1 cpu');
    worker.start();
    await waitFor('the mails', async () => (await store.pendingCount()) === 0);

    assert.equal(mails.length, 2);
    const first = mails.find((m) => m.rcptTo.includes('ops@example.org'));
    assert.ok(first);
    assert.deepEqual(first.rcptTo.sort(), ['lead@example.org', 'oncall@example.org', 'ops@example.org']);
    assert.equal(first.from, 'tally@example.org');
    assert.equal(header(first.raw, 'Subject'), '[tally] alarm web-1 cpu is now alarm (critical)');
    assert.equal(header(first.raw, 'To'), 'ops@example.org, oncall@example.org');
    assert.equal(header(first.raw, 'Cc'), 'lead@example.org');
    assert.equal(header(first.raw, 'X-Tally-Alarm-Id'), alarm.alarm_id);
    const text = mailBody(first.raw);
    for (const part of ['web-1 cpu', alarm.alarm_id, 'ok → alarm', 'critical', REASON, '"most_recent": 92.5']) assert.ok(text.includes(part), `${part} in ${text}`);

    const second = mails.find((m) => m.rcptTo.includes('dev@example.org'));
    assert.equal(second && header(second.raw, 'Subject'), 'CPU on web-1');

    const byAction = new Map((await actionLines(alarm.alarm_id)).map((l) => [l.detail.action, l.detail]));
    assert.deepEqual([byAction.get('mailto:dev@example.org?subject=CPU%20on%20web-1')?.outcome, byAction.get('mailto:dev@example.org?subject=CPU%20on%20web-1')?.status], ['delivered', 250]);
    const refused = byAction.get('mailto:nobody@example.org');
    assert.equal(refused?.outcome, 'abandoned');
    assert.equal(refused?.attempt, 1);
    assert.match(String(refused?.error), /550/);
  });
});

// ---- restart -------------------------------------------------------------------

describe('restart', () => {
  test('enqueued, closed before any delivery, reopened: delivered exactly once', async (t) => {
    const rx = await receiver();
    t.after(() => rx.close());
    const path = join(dir, 'restart-1');
    let db = await openSql(path);
    let s = await AlarmStore.open(db);
    const alarm = await transition(s, [`${rx.base}/after-restart`]);
    const early = new OutboxWorker({ store: s, notifiers, pollMs: 50, log });
    await early.stop(); // never started: nothing taken
    await db.close();

    db = await openSql(path);
    s = await AlarmStore.open(db);
    assert.equal(await s.pendingCount(), 1);
    const worker = new OutboxWorker({ store: s, notifiers, pollMs: 50, log });
    worker.start();
    await waitFor('the delivery', async () => (await s.pendingCount()) === 0);
    await new Promise((r) => setTimeout(r, 200));
    await worker.stop();
    assert.equal(rx.requests.length, 1);
    assert.deepEqual((await actionLines(alarm.alarm_id, s)).map((l) => [l.detail.attempt, l.detail.outcome]), [[1, 'delivered']]);
    await db.close();
  });

  test('a delivery interrupted by stop() stays in the outbox and is delivered by the next worker', async (t) => {
    let answer = false;
    const rx = await receiver((_req, res) => {
      if (answer) res.writeHead(200).end();
    });
    t.after(() => rx.close());
    const path = join(dir, 'restart-2');
    let db = await openSql(path);
    let s = await AlarmStore.open(db);
    const alarm = await transition(s, [`${rx.base}/interrupted`]);
    const first = new OutboxWorker({ store: s, notifiers, pollMs: 50, stopTimeoutMs: 100, log });
    first.start();
    await waitFor('the first request', () => rx.requests.length === 1);
    await first.stop();
    assert.equal(await s.pendingCount(), 1);
    await db.close();

    answer = true;
    db = await openSql(path);
    s = await AlarmStore.open(db);
    const second = new OutboxWorker({ store: s, notifiers, pollMs: 50, log });
    second.start();
    await waitFor('the delivery', async () => (await s.pendingCount()) === 0);
    await second.stop();
    assert.equal(rx.requests.length, 2);
    const lines = await actionLines(alarm.alarm_id, s);
    assert.deepEqual(
      lines.map((l) => [l.detail.attempt, l.detail.outcome, l.detail.error]),
      [
        [1, 'retrying', 'interrupted: the notifier is stopping'],
        [2, 'delivered', null],
      ],
    );
    await db.close();
  });
});

// ---- trust+http against a real Keystone ------------------------------------------


describe('trust+http against a real Keystone', requires(...KEYSTONE_NEEDS), () => {
  let ks: RealKeystone;
  let trusts: KeystoneTrusts;

  before(async () => {
    ks = await startRealKeystone({ log: (line) => console.log(line) });
    // seeding resets the passwords, which revokes the users' tokens issued up to the end of
    // that second (Fernet's issued_at has whole seconds): start in the next one
    await new Promise((r) => setTimeout(r, 1_050 - (Date.now() % 1000)));
    trusts = new KeystoneTrusts({ url: ks.url, username: 'tally', password: ks.passwords.tally, projectName: 'service', userDomainName: 'Default', projectDomainName: 'Default' });
  });
  after(async () => {
    await ks?.stop();
  });

  test("alice's trust: the receiver gets a token Keystone validates as alice's, scoped to the trust in proj-a", async (t) => {
    const aliceToken = await issueToken(ks.url, 'alice', ks.passwords.alice, 'proj-a');
    const trustId = await trusts.createTrust({ userToken: aliceToken, trustorUserId: ks.ids.alice, projectId: ks.ids.projA, roles: ['member'] });
    assert.match(trustId, /^[0-9a-f]{32}$/);
    assert.equal(await trusts.serviceUserId(), ks.ids.tally);

    const rx = await receiver((_req, res) => res.writeHead(202).end());
    const trustNotifiers = createNotifiers({ log, keystone: trusts });
    const worker = new OutboxWorker({ store, notifiers: trustNotifiers, pollMs: 50, backoffBaseSeconds: 0.05, log });
    t.after(async () => {
      await worker.stop();
      await rx.close();
    });
    const port = new URL(rx.base).port;
    const action = `trust+http://${trustId}:delete@127.0.0.1:${port}/signal?x=1`;
    const alarm = await transition(store, [action, action]);
    worker.start();
    await waitFor('the deliveries', async () => (await store.pendingCount()) === 0, 30_000);

    assert.equal(rx.requests.length, 2);
    const [req] = rx.requests;
    assert.equal(req.url, '/signal?x=1');
    assert.equal(req.headers.authorization, undefined, 'no userinfo sent');
    const token = String(req.headers['x-auth-token']);
    assert.equal(rx.requests[1].headers['x-auth-token'], token, 'the trust token is cached');
    assert.match(req.body, /^\{"alarm_name": "cpu high", "alarm_id": /);

    const tallyToken = await issueToken(ks.url, 'tally', ks.passwords.tally, 'service');
    const res = await fetch(`${ks.url}/auth/tokens?nocatalog`, { headers: { 'x-auth-token': tallyToken, 'x-subject-token': token } });
    assert.equal(res.status, 200);
    const doc = (await res.json()) as { token: { user: { id: string }; project: { id: string; name: string }; roles: { name: string }[]; 'OS-TRUST:trust': { id: string; impersonation: boolean; trustee_user: { id: string } } } };
    assert.equal(doc.token['OS-TRUST:trust'].id, trustId);
    assert.equal(doc.token['OS-TRUST:trust'].impersonation, true);
    assert.equal(doc.token['OS-TRUST:trust'].trustee_user.id, ks.ids.tally);
    assert.equal(doc.token.project.id, ks.ids.projA);
    assert.equal(doc.token.project.name, 'proj-a');
    assert.equal(doc.token.user.id, ks.ids.alice, 'impersonation: the token is alice\'s');
    assert.ok(doc.token.roles.some((r) => r.name === 'member'));

    // the history never shows the trust ID
    const lines = await actionLines(alarm.alarm_id);
    assert.deepEqual(lines.map((l) => [l.detail.action, l.detail.outcome, l.detail.status]), [
      [`trust+http://127.0.0.1:${port}/signal?x=1`, 'delivered', 202],
      [`trust+http://127.0.0.1:${port}/signal?x=1`, 'delivered', 202],
    ]);
    assert.ok(lines.every((l) => !l.change.detail.includes(trustId)));

    // deleted (by its trustor, as Aodh does): further notifications are given up at once
    assert.equal(await trusts.deleteTrust(trustId, aliceToken), true);
    assert.equal(await trusts.deleteTrust(trustId, aliceToken), false);
    const later = await transition(store, [action]);
    worker.kick();
    await waitFor('the attempt', async () => (await store.pendingCount()) === 0, 30_000);
    const [refused] = await actionLines(later.alarm_id);
    assert.equal(refused.detail.outcome, 'abandoned');
    assert.equal(refused.detail.attempt, 1);
    assert.match(String(refused.detail.error), /refused a token for the alarm's trust/);
    assert.equal(rx.requests.length, 2);
  });

  test('wrong service credentials are retried, not taken for a dead trust', async () => {
    const aliceToken = await issueToken(ks.url, 'alice', ks.passwords.alice, 'proj-a');
    const trustId = await trusts.createTrust({ userToken: aliceToken, trustorUserId: ks.ids.alice, projectId: ks.ids.projA, roles: ['member'] });
    try {
      const wrong = new KeystoneTrusts({ url: ks.url, username: 'tally', password: 'not-the-password', projectName: 'service', userDomainName: 'Default', projectDomainName: 'Default' });
      const rx = await receiver();
      try {
        const result = await createNotifiers({ log, keystone: wrong })
          .get('trust+http')!
          .deliver(
            { action: `trust+http://${trustId}:delete@127.0.0.1:${new URL(rx.base).port}/x`, alarm_id: 'a', alarm_name: 'n', severity: 'low', previous: 'ok', current: 'alarm', reason: 'r', reason_data: {} },
            new AbortController().signal,
          );
        assert.ok(!result.delivered && result.retryable && /service credentials/.test(result.error), JSON.stringify(result));
        assert.equal(rx.requests.length, 0);
      } finally {
        await rx.close();
      }
      // a trust can only be created by its trustor
      const bobToken = await issueToken(ks.url, 'bob', ks.passwords.bob, 'proj-b');
      await assert.rejects(trusts.createTrust({ userToken: bobToken, trustorUserId: ks.ids.alice, projectId: ks.ids.projA, roles: ['member'] }), (err: Error & { retryable?: boolean }) => err.retryable === false);
    } finally {
      // without the trustor's token: tally's own, which Keystone accepts when the service user is an admin
      assert.equal(await trusts.deleteTrust(trustId), true);
    }
  });
});
