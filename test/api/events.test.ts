/**
 * The events API against Debian's python3-pankoclient and over plain HTTP:
 * listing, filters on type, time and typed traits, paging, one event, event
 * types and traits, Panko's error shape, and what a project member sees.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { type TestServer, startTestServer } from '../helpers/tally-server.js';
import { requires } from '../lib/requirements.js';

const CORPUS = join(import.meta.dirname, '../fixtures/notifications');
const PROJECT = '7c150a59fe714e6f9263774af9688f0e';

interface EventJson {
  message_id: string;
  event_type: string;
  generated: string;
  traits: { name: string; type: string; value: string }[];
}

describe('events API (Panko v2)', () => {
  let server: TestServer;
  const get = async (path: string, who: { project: string; roles: string } = { project: 'admin', roles: 'admin' }): Promise<{ status: number; body: unknown }> => {
    const res = await fetch(`${server.url}${path}`, { headers: { 'x-user-id': 'u', 'x-project-id': who.project, 'x-roles': who.roles } });
    return { status: res.status, body: await res.json() };
  };
  const events = async (query: string, who?: { project: string; roles: string }): Promise<EventJson[]> => {
    const r = await get(`/v2/events${query}`, who);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body as EventJson[];
  };

  before(async () => {
    server = await startTestServer({}, { collector: true });
    for (const f of ['nova', 'cinder', 'glance', 'others']) {
      const res = await fetch(`${server.url}/collector/notifications`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: readFileSync(join(CORPUS, `${f}.json`)) });
      assert.equal(res.status, 202, await res.text());
    }
  });
  after(async () => server.close());

  it('answers pankoclient', requires('python3-pankoclient'), async () => {
    const { stdout } = await promisify(execFile)('/usr/bin/python3', [join(import.meta.dirname, '../collector/panko_client.py'), server.url], { encoding: 'utf8' });
    const out = JSON.parse(stdout) as Record<string, unknown>;
    const types = out.types as string[];
    assert.ok(types.includes('compute.instance.exists') && types.includes('image.upload'));
    assert.deepEqual(types, [...types].sort());
    const list = out.list as EventJson[];
    assert.equal(list.length, 3);
    const page2 = out.page2 as EventJson[];
    assert.equal(page2.length, 3);
    assert.ok(!page2.some((e) => list.some((x) => x.message_id === e.message_id)), 'the second page starts after the marker');
    assert.ok(list.concat(page2).every((e, i, all) => i === 0 || all[i - 1].generated <= e.generated), 'oldest first');
    const filtered = out.filtered as EventJson[];
    assert.equal(filtered.length, 1);
    assert.equal(filtered[0].event_type, 'compute.instance.exists');
    const memory = filtered[0].traits.find((t) => t.name === 'memory_mb');
    assert.deepEqual(memory, { name: 'memory_mb', type: 'integer', value: '2048' });
    assert.equal((out.show as EventJson).message_id, list[0].message_id);
    assert.ok((out.trait_types as { name: string; type: string }[]).some((t) => t.name === 'launched_at' && t.type === 'datetime'));
    assert.deepEqual(out.trait_values, [{ name: 'instance_id', type: 'string', value: '9f9d01b9-4a58-4271-9e27-398b21ab20d1' }]);
  });

  it('filters on time and typed traits', async () => {
    const all = await events('?limit=1000');
    const mid = all[Math.floor(all.length / 2)].generated;
    const later = await events(`?limit=1000&q.field=start_timestamp&q.op=ge&q.value=${mid}`);
    assert.ok(later.length > 0 && later.length < all.length);
    assert.ok(later.every((e) => e.generated >= mid));
    const earlier = await events(`?limit=1000&q.field=end_timestamp&q.op=le&q.value=${mid}`);
    assert.ok(earlier.every((e) => e.generated <= mid));
    const big = await events('?q.field=memory_mb&q.op=ge&q.value=2048&q.type=integer');
    assert.ok(big.length > 0);
    assert.ok(big.every((e) => Number(e.traits.find((t) => t.name === 'memory_mb')!.value) >= 2048));
    const none = await events('?q.field=memory_mb&q.op=gt&q.value=100000&q.type=integer');
    assert.equal(none.length, 0);
    const byText = await events('?q.field=display_name&q.value=web-1');
    assert.ok(byText.length > 0 && byText.every((e) => e.traits.some((t) => t.name === 'display_name' && t.value === 'web-1')));
  });

  it('answers errors as Panko does', async () => {
    const missing = await get('/v2/events/no-such-message');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, { error_message: { faultcode: 'Client', faultstring: 'Event no-such-message Not Found', debuginfo: null } });
    const badOp = await get('/v2/events?q.field=event_type&q.op=gt&q.value=x');
    assert.equal(badOp.status, 400);
    assert.match((badOp.body as { error_message: { faultstring: string } }).error_message.faultstring, /Operator gt is not supported/);
    const badType = await get('/v2/events?q.field=memory_mb&q.value=abc&q.type=integer');
    assert.equal(badType.status, 400);
    assert.match((badType.body as { error_message: { faultstring: string } }).error_message.faultstring, /Unable to convert the value abc to the expected data type integer/);
  });

  it("shows a member only its project's events", async () => {
    const member = { project: PROJECT, roles: 'member' };
    const mine = await events('?limit=1000', member);
    assert.ok(mine.length > 0);
    assert.ok(mine.every((e) => e.traits.some((t) => t.name === 'project_id' && t.value === PROJECT)));
    const all = await events('?limit=1000');
    assert.ok(all.length > mine.length, 'the admin sees more');
    const stranger = { project: 'someone-else', roles: 'member' };
    assert.deepEqual(await events('?limit=1000', stranger), []);
    assert.equal((await get(`/v2/events/${mine[0].message_id}`, stranger)).status, 404);
    assert.deepEqual((await get('/v2/event_types', stranger)).body, []);
  });
});
