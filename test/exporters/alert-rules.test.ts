/**
 * exporters/alert-rules.yml: promtool accepts it, and a real Prometheus 2.42
 * loading it and scraping a running tally every second fires an alert once
 * its condition holds (a scrape target of tally's is down, and so is its
 * broker). Also: every metric family exporters/README.md lists is exposed.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../helpers/free-port.js';
import { type Service, startPrometheus } from '../helpers/prometheus-services.js';
import { type TestServer, startTestServer } from '../helpers/tally-server.js';
import { requires } from '../lib/requirements.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const RULES = join(ROOT, 'exporters', 'alert-rules.yml');
const PROMTOOL = '/usr/bin/promtool';

interface ApiAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
}

/** The metric names exporters/README.md lists: first column of its tables, and its headings. */
function documentedFamilies(): string[] {
  const text = readFileSync(join(ROOT, 'exporters', 'README.md'), 'utf8');
  return [...new Set([...text.matchAll(/^(?:\| |#+ )`(tally_[a-z_]+)[`{]/gm)].map((m) => m[1]))];
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (${String(last)})` : ''}`);
}

describe('alert rules', requires('prometheus'), () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-alerts-'));
  let tally: TestServer | undefined;
  let prometheus: Service | undefined;

  before(async () => {
    // nothing listens on either port: a scrape target down, a broker unreachable
    const deadTarget = await freePort();
    const deadBroker = await freePort();
    const scrapeConfig = join(dir, 'scrape.yml');
    writeFileSync(scrapeConfig, `global: { scrape_interval: 1s, scrape_timeout: 1s }\nscrape_configs:\n  - job_name: dead\n    static_configs: [{ targets: ['127.0.0.1:${deadTarget}'] }]\n`);
    const deadReceiver = await freePort();
    tally = await startTestServer(
      { prometheus_scrape_config: scrapeConfig, amqp_url: `amqp://guest:guest@127.0.0.1:${deadBroker}/`, remote_write_url: `http://127.0.0.1:${deadReceiver}/api/v1/write`, evaluation_interval: 0 },
      { collector: true, alarms: true },
    );
    // a measure for the sink to send: its receiver does not answer
    const res = await fetch(`${tally.url}/v1/resource/generic`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'alerted', project_id: 'p', metrics: { 'cpu.util': { archive_policy_name: 'low' } } }),
    });
    assert.equal(res.status, 201, await res.text());
    const write = await fetch(`${tally.url}/v1/resource/generic/alerted/metric/cpu.util/measures`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ timestamp: new Date().toISOString(), value: 1 }]),
    });
    assert.equal(write.status, 202, await write.text());
    // The shipped rules wait minutes (`for: 5m` and more) before firing; this copy
    // fires as soon as a condition holds, so that the test takes seconds.
    const rules = readFileSync(RULES, 'utf8').replace(/^(\s+)for: \S+$/gm, '$1for: 0s');
    writeFileSync(join(dir, 'rules.yml'), rules);
    const target = new URL(tally.url).host;
    prometheus = await startPrometheus(
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        `rule_files: ['${join(dir, 'rules.yml')}']`,
        'scrape_configs:',
        '  - job_name: tally',
        `    static_configs: [{ targets: ['${target}'] }]`,
        '',
      ].join('\n'),
    );
  });

  after(async () => {
    await prometheus?.stop();
    await tally?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes promtool check rules', async () => {
    const { stdout } = await promisify(execFile)(PROMTOOL, ['check', 'rules', RULES]);
    assert.match(stdout, /SUCCESS: 7 rules found/);
  });

  it('fires TallyScrapeTargetDown, TallyNotificationConsumerDown and TallySinkDown in Prometheus', async () => {
    const expected = ['TallyNotificationConsumerDown', 'TallyScrapeTargetDown', 'TallySinkDown'];
    const firing = await waitFor('the three alerts firing', async () => {
      const res = await fetch(`${prometheus!.url}/api/v1/alerts`);
      const body = (await res.json()) as { data: { alerts: ApiAlert[] } };
      const alerts = body.data.alerts.filter((a) => a.state === 'firing');
      const names = new Set(alerts.map((a) => a.labels.alertname));
      return expected.every((n) => names.has(n)) ? alerts : undefined;
    });
    const down = firing.find((a) => a.labels.alertname === 'TallyScrapeTargetDown')!;
    assert.equal(down.labels.scrape_job, 'dead');
    assert.equal(down.labels.job, 'tally');
    assert.equal(firing.find((a) => a.labels.alertname === 'TallySinkDown')!.labels.sink, 'remote_write');
    // nothing else holds: the store is idle, no alarm notification waits, the sinks' backlog is far from its limit
    assert.deepEqual(firing.map((a) => a.labels.alertname).sort(), expected);
  });

  it('exposes every metric family exporters/README.md lists, and Prometheus has them', async () => {
    const families = documentedFamilies();
    assert.ok(families.length >= 27, `${families.length} families in the README`);
    const text = await (await fetch(`${tally!.url}/metrics`, { headers: { accept: 'text/plain' } })).text();
    const missing = families.filter((f) => !new RegExp(`^# TYPE ${f} `, 'm').test(text));
    assert.deepEqual(missing, [], `not exposed:\n${text}`);
    // and as series in Prometheus (a histogram's as its _count); the requests of its own first scrape show in the next
    await waitFor('every family in Prometheus', async () => {
      const res = await fetch(`${prometheus!.url}/api/v1/label/__name__/values`);
      const names = new Set(((await res.json()) as { data: string[] }).data);
      const notStored = families.filter((f) => !names.has(f) && !names.has(`${f}_count`));
      if (notStored.length > 0) throw new Error(`not in Prometheus: ${notStored.join(', ')}`);
      return true;
    });
  });
});
