/**
 * The Aodh v2 API against the real Aodh 15: the requests test/aodh/record.py
 * sent to Aodh (recorded in test/fixtures/aodh/recorded.json, with Aodh's
 * answers) are replayed in order against tally, and every answer must be
 * the same — status, body, Location — once ids and timestamps are replaced
 * by names. The few exchanges where tally deliberately answers otherwise
 * are listed with the reason, and only their status is checked (or not
 * even that, where Aodh's answer is a bug).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { indexTargets } from '../helpers/index-targets.js';
import { type TestServer, startTestServer } from '../helpers/tally-server.js';
import { reportCompat } from '../lib/compat.js';

interface Exchange {
  name: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: unknown;
  raw_body?: string;
  status: number;
  response_headers: Record<string, string>;
  response: unknown;
  oracle_issue?: string;
}

interface Recording {
  identities: Record<string, Record<string, string>>;
  values: Record<string, string>;
  exchanges: Exchange[];
}

const recording = JSON.parse(readFileSync(new URL('../fixtures/aodh/recorded.json', import.meta.url), 'utf8')) as Recording;

/** Where tally answers otherwise on purpose: only the status is compared, against this one. */
const DIFFERENT: Record<string, { status: number; why: string }> = {
  versions: { status: 200, why: 'the all-in-one listener serves Gnocchi\'s version document at /' },
  capabilities: { status: 200, why: 'the all-in-one listener\'s /v2/capabilities has Panko\'s keys besides Aodh\'s' },
  'list without identity headers': { status: 200, why: 'tally\'s noauth mode makes a caller without identity headers admin (gnocchiclient\'s noauth plugin always sends them)' },
  'query alarms: unknown field': { status: 400, why: 'the message is jsonschema\'s own wording of its schema' },
  'query alarms: bad orderby': { status: 400, why: 'the message is jsonschema\'s own wording of its schema' },
  'query alarms: filter not JSON': { status: 400, why: 'the message is the JSON parser\'s own wording (Python\'s json there)' },
  'trust URL without a trust id (Aodh would create a Keystone trust)': { status: 400, why: 'Aodh fails with a 500 without keystonemiddleware; tally says trusts need auth_mode keystone' },
  'invalid: by_resources query on an unknown attribute': { status: 400, why: 'Aodh 15 fails with a 500 on Gnocchi\'s answer; tally passes on the store\'s 400' },
  'bob creates an alarm after reading his quotas': { status: 201, why: 'Aodh 15 counts the stored default limit -1 as exceeded; -1 means no limit' },
};

/** Messages that list a Python set or a list whose order differs between processes: compared as sorted lists. */
const UNORDERED_MESSAGES = new Set(['list: field not allowed', 'invalid: aggregation method unknown to Gnocchi']);

/** A fresh tally with the alarms, and in it what record.py created in Gnocchi: the resource and two metrics. */
async function startTally(indexUrl: string): Promise<{ tally: TestServer; values: Record<string, string> }> {
  // no collector project: Aodh without Keystone scopes members' by-resources queries to what their project created
  const tally = await startTestServer({ evaluation_interval: 0, collector_creator: 'tally', index_url: indexUrl }, { collector: false, alarms: true });
  const admin = { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('admin:').toString('base64')}` };
  const alice = recording.identities.alice;
  const r = await fetch(`${tally.url}/v1/resource/generic`, {
    method: 'POST',
    headers: admin,
    body: JSON.stringify({ id: recording.values.resource_id, project_id: alice['X-Project-Id'], user_id: alice['X-User-Id'], metrics: { cpu_util: { archive_policy_name: 'low' } } }),
  });
  assert.equal(r.status, 201, await r.clone().text());
  const resource = (await r.json()) as { metrics: Record<string, string> };
  const m = await fetch(`${tally.url}/v1/metric`, { method: 'POST', headers: admin, body: JSON.stringify({ archive_policy_name: 'low', name: 'disk.usage' }) });
  const values = { resource_id: recording.values.resource_id, metric_id: resource.metrics.cpu_util, metric_id_2: ((await m.json()) as { id: string }).id };
  return { tally, values };
}

const fill = (text: string, vals: Record<string, string>): string => text.replace(/\{\{([^}]+)\}\}/g, (_, k: string) => vals[k] ?? `{{${k}}}`);

const TIMESTAMP = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?/g;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** Ids by name, timestamps and other uuids as placeholders, in any text of the answer. */
function normalise(value: unknown, vals: Record<string, string>): unknown {
  let text = JSON.stringify(value);
  for (const [name, id] of Object.entries(vals)) if (id) text = text.split(id).join(`<${name}>`);
  text = text.replace(TIMESTAMP, '<time>').replace(UUID, '<uuid>');
  return JSON.parse(text);
}

const sortedItems = (message: string): string => message.replace(/([[{])([^\]}]*)([\]}])/g, (_, open: string, items: string, close: string) => `${open}${items.split(', ').sort().join(', ')}${close}`);

/** Replays every exchange; returns what differs, and how many exchanges differ. */
async function replay(tally: TestServer, values: Record<string, string>): Promise<{ differences: string[]; differing: number }> {
  const differences: string[] = [];
  const differing = new Set<string>();
  for (const ex of recording.exchanges) {
    const differ = (text: string): void => {
      differences.push(text);
      differing.add(ex.name);
    };
    const headers: Record<string, string> = { accept: 'application/json' };
    for (const [k, v] of Object.entries(ex.headers)) headers[k.toLowerCase()] = v;
    const body = ex.raw_body !== undefined ? ex.raw_body : ex.body !== undefined ? fill(JSON.stringify(ex.body), values) : undefined;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${tally.url}${fill(ex.path, values)}`, { method: ex.method, headers, body });
    const text = await res.text();
    const got: unknown = text ? JSON.parse(text) : '';
    // the alarms Aodh made: their ids under the same names
    if (ex.status === 201 && res.status === 201) {
      const name = Object.entries(recording.values).find(([, id]) => id === (ex.response as { alarm_id?: string }).alarm_id)?.[0];
      if (name) values[name] = (got as { alarm_id: string }).alarm_id;
    }
    const known = DIFFERENT[ex.name];
    if (known) {
      if (res.status !== known.status) differ(`${ex.name}: status ${res.status}, expected ${known.status} (${known.why})`);
      // what Aodh refused stays out of the rest of the replay
      if (res.status === 201 && ex.status !== 201) {
        await fetch(`${tally.url}/v2/alarms/${(got as { alarm_id: string }).alarm_id}`, { method: 'DELETE', headers: recording.identities.admin });
      }
      continue;
    }
    if (res.status !== ex.status) {
      differ(`${ex.name}: status ${res.status} (Aodh ${ex.status}): ${text.slice(0, 300)}`);
      continue;
    }
    let expected = normalise(ex.response, recording.values);
    let actual = normalise(got, values);
    if (UNORDERED_MESSAGES.has(ex.name)) {
      const msg = (v: unknown): string => sortedItems((v as { error_message: { faultstring: string } }).error_message.faultstring);
      expected = msg(expected);
      actual = msg(actual);
    }
    try {
      assert.deepStrictEqual(actual, expected);
    } catch {
      differ(`${ex.name}:\n  tally: ${JSON.stringify(actual).slice(0, 1500)}\n  aodh:  ${JSON.stringify(expected).slice(0, 1500)}`);
    }
    const location = ex.response_headers.Location;
    if (location) {
      const path = (u: string): string => fill(new URL(u).pathname, {});
      const want = String(normalise(path(location), recording.values));
      const have = String(normalise(path(res.headers.get('location') ?? ''), values));
      if (want !== have) differ(`${ex.name}: Location ${have}, Aodh ${want}`);
    }
  }
  return { differences, differing: differing.size };
}

// the alarm tables on the index's database: embedded PGlite and a PostgreSQL server
describe('the Aodh v2 API answers as the real Aodh 15 does', () => {
  const targets = indexTargets();
  after(async () => {
    for (const target of targets) await target.cleanup();
  });
  for (const target of targets) {
    it(`with the index on ${target.driver}`, async (t) => {
      const { tally, values } = await startTally(target.driver === 'pglite' ? '' : await target.create());
      try {
        const { differences, differing } = await replay(tally, values);
        const total = recording.exchanges.length;
        reportCompat(t, 'aodh-api', total - differing, total, `index on ${target.driver}`);
        t.diagnostic(`${total} exchanges replayed; ${Object.keys(DIFFERENT).length} differ on purpose (their status checked)`);
        assert.deepEqual(differences, []);
      } finally {
        await tally.close();
      }
    });
  }
});
