/**
 * The text formats of alarms/notifiers, without any server: action URLs with
 * trust IDs (embedded and scrubbed as Aodh's API does), Python's json.dumps
 * spacing and escapes, Aodh's webhook body and log line, mailto: parsing, the
 * scheme registry and the backoff schedule.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AlarmNotification } from '../../alarms/model.js';
import { embedTrust, schemeOf, scrubAction, splitAction, trustOf, trustTarget } from '../../alarms/notifiers/action-url.js';
import { createNotifiers } from '../../alarms/notifiers/index.js';
import { logLine } from '../../alarms/notifiers/log.js';
import { defaultSubject, mailText, parseMailto } from '../../alarms/notifiers/mailto.js';
import { Notifiers, SUPPORTED_SCHEMES, retryableStatus } from '../../alarms/notifiers/notifier.js';
import { backoffSeconds } from '../../alarms/notifiers/outbox.js';
import { pythonJson } from '../../tsdb/api/python-json.js';
import { aodhBody } from '../../alarms/notifiers/webhook.js';

const notification = (action: string): AlarmNotification => ({
  action,
  alarm_id: 'a1b2',
  alarm_name: 'cpu high',
  severity: 'critical',
  previous: 'ok',
  current: 'alarm',
  reason: 'Transition to alarm due to 3 samples outside threshold, most recent: 92.5',
  reason_data: { type: 'threshold', disposition: 'outside', count: 3, most_recent: 92.5 },
});

describe('action URLs', () => {
  test('scrubAction removes the trust ID (and ":delete") of trust+ URLs only, as _scrub_action_url', () => {
    assert.equal(scrubAction('trust+http://0123abcd:delete@heat.example:8004/v1/signal?x=1'), 'trust+http://heat.example:8004/v1/signal?x=1');
    assert.equal(scrubAction('trust+https://0123abcd@heat.example/p'), 'trust+https://heat.example/p');
    assert.equal(scrubAction('TRUST+HTTP://a:b@c@host/p'), 'trust+http://host/p');
    assert.equal(scrubAction('trust+http://heat.example/p'), 'trust+http://heat.example/p');
    // not a trust URL: Aodh leaves it alone, userinfo and all
    assert.equal(scrubAction('http://user:pw@example.org/hook'), 'http://user:pw@example.org/hook');
    assert.equal(scrubAction('log://'), 'log://');
    assert.equal(scrubAction('mailto:ops@example.org?subject=x'), 'mailto:ops@example.org?subject=x');
  });

  test('trustOf, embedTrust and trustTarget: the API writes trust+http://TRUST:delete@host/path, the notifier calls http://host/path', () => {
    assert.deepEqual(trustOf('trust+http://t1:delete@h/p'), { trustId: 't1', owned: true });
    assert.deepEqual(trustOf('trust+https://t1@h/p'), { trustId: 't1', owned: false });
    assert.equal(trustOf('trust+http://h/p'), null);
    assert.equal(trustOf('http://t1:delete@h/p'), null);
    assert.equal(embedTrust('trust+https://heat:8004/v1/x?y=1', 't9', true), 'trust+https://t9:delete@heat:8004/v1/x?y=1');
    assert.equal(embedTrust('trust+https://heat:8004/v1/x', 't9', false), 'trust+https://t9@heat:8004/v1/x');
    assert.equal(trustTarget('trust+https://t9:delete@heat:8004/v1/x?y=1'), 'https://heat:8004/v1/x?y=1');
    assert.throws(() => embedTrust('http://h/p', 't', true), /not a trust\+ URL/);
  });

  test('schemes: lower case, and the supported list the API validates against', () => {
    assert.deepEqual([...SUPPORTED_SCHEMES], ['http', 'https', 'trust+http', 'trust+https', 'log', 'mailto']);
    assert.equal(schemeOf('HTTPS://x/'), 'https');
    assert.equal(schemeOf('mailto:a@b'), 'mailto');
    assert.equal(schemeOf('no scheme'), '');
    assert.deepEqual(splitAction('mailto:a@b?subject=x'), { scheme: 'mailto', authority: null, rest: 'a@b?subject=x' });
  });

  test('the registry resolves by scheme and explains what it cannot', () => {
    const notifiers = createNotifiers({ log: () => undefined });
    assert.deepEqual(notifiers.schemes().sort(), [...SUPPORTED_SCHEMES].sort());
    assert.ok('notifier' in notifiers.resolve('HTTP://x/'));
    assert.match((notifiers.resolve('zaqar://q') as { error: string }).error, /unknown action scheme "zaqar" \(supported: http, https/);
    assert.match((notifiers.resolve('plain text') as { error: string }).error, /not a URL/);
    assert.match((new Notifiers().resolve('mailto:a@b') as { error: string }).error, /no notifier is configured for mailto/);
  });
});

describe('wire formats', () => {
  test("pythonJson writes what Python's json.dumps writes", () => {
    // expected strings printed by python3 -c 'import json; print(json.dumps(…))'
    assert.equal(
      pythonJson({ s: 'cpu ünï ☃ 😀 "q" \\ \n\t\u0001\u007f', n: [1, 2.5, -0.001, 1e-7, true, null, {}, []] }),
      '{"s": "cpu \\u00fcn\\u00ef \\u2603 \\ud83d\\ude00 \\"q\\" \\\\ \\n\\t\\u0001\\u007f", "n": [1, 2.5, -0.001, 1e-07, true, null, {}, []]}',
    );
    assert.equal(pythonJson([1e-5, 0.0001, 0.00012345, -3.5e-9, 1.5, 123456.789]), '[1e-05, 0.0001, 0.00012345, -3.5e-09, 1.5, 123456.789]');
    assert.equal(pythonJson({ a: undefined, b: 1 }), '{"b": 1}');
  });

  test("Aodh's webhook body: rest.py's keys in rest.py's order", () => {
    assert.equal(
      aodhBody(notification('http://x/')),
      '{"alarm_name": "cpu high", "alarm_id": "a1b2", "severity": "critical", "previous": "ok", "current": "alarm", ' +
        '"reason": "Transition to alarm due to 3 samples outside threshold, most recent: 92.5", ' +
        '"reason_data": {"type": "threshold", "disposition": "outside", "count": 3, "most_recent": 92.5}}',
    );
  });

  test("the log line is Aodh's LogAlarmNotifier message", () => {
    assert.equal(
      logLine(notification('log://')),
      'Notifying alarm cpu high a1b2 of critical priority from ok to alarm with action log:// because Transition to alarm due to 3 samples outside threshold, most recent: 92.5.',
    );
  });

  test('mailto: recipients, cc, bcc, subject and body as RFC 6068 writes them', () => {
    assert.deepEqual(parseMailto('mailto:a@x.org,b@y.org?subject=CPU%20high&cc=c@z.org&bcc=d@z.org,e@z.org&to=f@x.org&body=see%20below&x-other=1'), {
      to: ['a@x.org', 'b@y.org', 'f@x.org'],
      cc: ['c@z.org'],
      bcc: ['d@z.org', 'e@z.org'],
      subject: 'CPU high',
      body: 'see below',
    });
    assert.deepEqual(parseMailto('mailto:ops%40example.org'), { to: ['ops@example.org'], cc: [], bcc: [] });
    assert.deepEqual(parseMailto('mailto:?to=a@b'), { to: ['a@b'], cc: [], bcc: [] });
    assert.equal(parseMailto('http://x/'), null);
    const n = notification('mailto:a@x.org');
    assert.equal(defaultSubject(n), '[tally] alarm cpu high is now alarm (critical)');
    const text = mailText(n);
    for (const part of ['cpu high', 'a1b2', 'ok → alarm', 'critical', 'most recent: 92.5', '"disposition": "outside"']) assert.ok(text.includes(part), part);
  });

  test('retry policy: 5xx, 408, 429 retry; other 4xx do not; backoff doubles from the base, capped, with jitter', () => {
    for (const s of [500, 502, 503, 408, 429]) assert.equal(retryableStatus(s), true, String(s));
    for (const s of [400, 401, 403, 404, 410, 422]) assert.equal(retryableStatus(s), false, String(s));
    for (let attempt = 1; attempt <= 12; attempt++) {
      const full = Math.min(300, 2 * 2 ** (attempt - 1));
      for (let i = 0; i < 50; i++) {
        const d = backoffSeconds(attempt, 2, 300);
        assert.ok(d >= full / 2 && d <= full, `attempt ${attempt}: ${d}`);
      }
    }
    // the receiver's Retry-After wins over a shorter backoff, never over the cap
    assert.equal(backoffSeconds(1, 2, 300, 120), 120);
    assert.equal(backoffSeconds(1, 2, 300, 3600), 300);
  });
});
