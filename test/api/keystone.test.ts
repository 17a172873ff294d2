/**
 * auth_mode keystone against a real OpenStack Keystone (Debian's package, brought
 * up by test/keystone/up.sh on 127.0.0.1:35357): real tokens for alice
 * (member of proj-a), bob (member of proj-b) and admin, validated by tally as
 * the service user `tally`; project isolation as Gnocchi's policy has it;
 * revocation once the validation cache ages out; 503 when Keystone cannot be
 * asked; and the real `gnocchi` CLI with Keystone password auth.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { loadConfig } from '../../cli/config.js';
import { KeystoneAuth } from '../../tsdb/api/keystone.js';
import { KEYSTONE_NEEDS, type RealKeystone, issueToken, startRealKeystone } from '../helpers/real-keystone.js';
import { requires } from '../lib/requirements.js';
import { type TestServer, startTestServer } from '../helpers/tally-server.js';

const run = promisify(execFile);
/** short, so that the revocation test waits seconds, not minutes */
const CACHE_SECONDS = 3;

describe('keystone config', () => {
  it('refuses keystone mode without a URL or a service user, at start-up', () => {
    assert.throws(() => loadConfig({ env: { TALLY_AUTH_MODE: 'keystone' } }), /auth_mode keystone needs keystone_url/);
    assert.throws(() => loadConfig({ env: {}, flags: { auth_mode: 'keystone', keystone_url: 'http://127.0.0.1:5000/v3' } }), /set keystone_username, keystone_password, keystone_project_name/);
    const config = loadConfig({
      env: { TALLY_KEYSTONE_URL: 'http://127.0.0.1:5000/v3', TALLY_KEYSTONE_USERNAME: 'tally', TALLY_KEYSTONE_PASSWORD: 'x', TALLY_KEYSTONE_PROJECT_NAME: 'service' },
      flags: { auth_mode: 'keystone' },
    });
    assert.equal(config.auth_mode, 'keystone');
    assert.equal(config.keystone_user_domain_name, 'Default');
    assert.equal(config.keystone_project_domain_name, 'Default');
    assert.equal(config.keystone_cache_seconds, 300);
  });
});

describe('auth_mode keystone against a real Keystone', requires(...KEYSTONE_NEEDS, 'python3-gnocchiclient'), () => {
  let ks: RealKeystone;
  let server: TestServer;
  const tokens = { alice: '', bob: '', admin: '' };
  const aliceResource = randomUUID();
  const bobResource = randomUUID();

  const api = async (token: string | undefined, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token !== undefined) headers['x-auth-token'] = token;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${server.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
  };
  const ids = (json: unknown): string[] => (json as { id: string }[]).map((r) => r.id);

  before(async () => {
    const t0 = Date.now();
    ks = await startRealKeystone({ log: (line) => console.log(line) });
    console.log(`keystone ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    server = await startTestServer({
      auth_mode: 'keystone',
      keystone_url: ks.url,
      keystone_username: 'tally',
      keystone_password: ks.passwords.tally,
      keystone_project_name: 'service',
      keystone_cache_seconds: CACHE_SECONDS,
    });
    [tokens.alice, tokens.bob, tokens.admin] = await Promise.all([
      issueToken(ks.url, 'alice', ks.passwords.alice, 'proj-a'),
      issueToken(ks.url, 'bob', ks.passwords.bob, 'proj-b'),
      issueToken(ks.url, 'admin', ks.passwords.admin, 'admin'),
    ]);
  });
  after(async () => {
    await server?.close();
    await ks?.stop();
  });

  it('answers 401 in Gnocchi\'s shape without a token, with a garbage one, and ignores noauth headers', async () => {
    const none = await api(undefined, 'GET', '/v1/resource/generic');
    assert.equal(none.status, 401);
    assert.deepEqual(none.json, { code: 401, title: 'Unauthorized', description: '' });
    const bare = await fetch(`${server.url}/v1/metric`, { headers: { accept: 'application/json' } });
    await bare.text();
    assert.equal(bare.headers.get('www-authenticate'), `Keystone uri="${ks.url.replace(/\/v3$/, '')}"`, 'where to get a token, as keystonemiddleware says');
    assert.equal((await api('garbage', 'GET', '/v1/resource/generic')).status, 401);
    assert.equal((await api(`${tokens.alice.slice(0, -4)}AAAA`, 'GET', '/v1/metric')).status, 401);
    // the identity headers of noauth mode count for nothing here
    const res = await fetch(`${server.url}/v1/resource/generic`, { headers: { accept: 'application/json', 'x-user-id': 'admin', 'x-roles': 'admin' } });
    assert.equal(res.status, 401);
    await res.body?.cancel();
    // the version document needs no token, as in Gnocchi
    assert.equal((await api(undefined, 'GET', '/')).status, 200);
  });

  it('lets alice create a resource of proj-a with a metric and measures, recording her as <user id>:<project id>', async () => {
    const created = await api(tokens.alice, 'POST', '/v1/resource/generic', {
      id: aliceResource,
      project_id: ks.ids.projA,
      user_id: ks.ids.alice,
      metrics: { cpu: { archive_policy_name: 'low' } },
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const r = created.json as Record<string, unknown>;
    assert.equal(r.creator, `${ks.ids.alice}:${ks.ids.projA}`);
    assert.equal(r.created_by_user_id, ks.ids.alice);
    assert.equal(r.created_by_project_id, ks.ids.projA);
    const measures = [
      { timestamp: '2024-01-01T00:00:00Z', value: 1 },
      { timestamp: '2024-01-01T00:05:00Z', value: 3 },
    ];
    assert.equal((await api(tokens.alice, 'POST', `/v1/resource/generic/${aliceResource}/metric/cpu/measures`, measures)).status, 202);
    const read = await api(tokens.alice, 'GET', `/v1/resource/generic/${aliceResource}/metric/cpu/measures?refresh=true&granularity=300`);
    assert.equal(read.status, 200);
    assert.deepEqual(read.json, [
      ['2024-01-01T00:00:00+00:00', 300.0, 1.0],
      ['2024-01-01T00:05:00+00:00', 300.0, 3.0],
    ]);
    const bobs = await api(tokens.bob, 'POST', '/v1/resource/generic', { id: bobResource, project_id: ks.ids.projB, user_id: ks.ids.bob });
    assert.equal(bobs.status, 201);
    assert.equal((bobs.json as Record<string, unknown>).creator, `${ks.ids.bob}:${ks.ids.projB}`);
  });

  it('keeps bob out of alice\'s resource: 403 on show and on its measures, absent from list and search', async () => {
    assert.equal((await api(tokens.bob, 'GET', `/v1/resource/generic/${aliceResource}`)).status, 403);
    assert.equal((await api(tokens.bob, 'GET', `/v1/resource/generic/${aliceResource}/metric/cpu/measures`)).status, 403);
    const list = await api(tokens.bob, 'GET', '/v1/resource/generic');
    assert.deepEqual(ids(list.json), [bobResource]);
    const search = await api(tokens.bob, 'POST', '/v1/search/resource/generic', {});
    assert.deepEqual(ids(search.json), [bobResource]);
  });

  it('shows alice hers only, and admin everything', async () => {
    assert.equal((await api(tokens.alice, 'GET', `/v1/resource/generic/${aliceResource}`)).status, 200);
    assert.deepEqual(ids((await api(tokens.alice, 'GET', '/v1/resource/generic')).json), [aliceResource]);
    assert.equal((await api(tokens.alice, 'GET', `/v1/resource/generic/${bobResource}`)).status, 403);
    assert.deepEqual(ids((await api(tokens.admin, 'GET', '/v1/resource/generic')).json).sort(), [aliceResource, bobResource].sort());
    assert.deepEqual(ids((await api(tokens.admin, 'POST', '/v1/search/resource/generic', {})).json).sort(), [aliceResource, bobResource].sort());
    assert.equal((await api(tokens.admin, 'GET', `/v1/resource/generic/${aliceResource}/metric/cpu/measures`)).status, 200);
  });

  it('stops accepting a revoked token once its cached validation ages out', async () => {
    const token = await issueToken(ks.url, 'alice', ks.passwords.alice, 'proj-a');
    assert.equal((await api(token, 'GET', '/v1/resource/generic')).status, 200);
    const cachedAt = Date.now();
    // a token may revoke itself
    const revoke = await fetch(`${ks.url}/auth/tokens`, { method: 'DELETE', headers: { 'x-auth-token': token, 'x-subject-token': token } });
    assert.equal(revoke.status, 204);
    const stillCached = await api(token, 'GET', '/v1/resource/generic');
    // only meaningful while the entry is surely fresh (a loaded machine may be slow)
    if (Date.now() - cachedAt < (CACHE_SECONDS - 1) * 1000) assert.equal(stillCached.status, 200, 'served from the validation cache');
    await sleep(Math.max(0, cachedAt + CACHE_SECONDS * 1000 + 300 - Date.now()));
    assert.equal((await api(token, 'GET', '/v1/resource/generic')).status, 401);
    // the other tokens of alice still work
    assert.equal((await api(tokens.alice, 'GET', '/v1/resource/generic')).status, 200);
  });

  it('validates tokens with the client alone: identities, roles, a bounded cache', async () => {
    const client = new KeystoneAuth({
      url: ks.url.replace(/\/v3$/, ''), // "/v3" is added
      username: 'tally',
      password: ks.passwords.tally,
      projectName: 'service',
      userDomainName: 'Default',
      projectDomainName: 'Default',
      cacheSeconds: 60,
      maxCacheEntries: 2,
    });
    assert.equal(client.url, ks.url);
    const [alice, bob, admin] = await Promise.all([client.validate(tokens.alice), client.validate(tokens.bob), client.validate(tokens.admin)]);
    assert.equal(alice?.userId, ks.ids.alice);
    assert.equal(alice?.projectId, ks.ids.projA);
    assert.ok(alice?.roles.includes('member') && !alice.roles.includes('admin'), String(alice?.roles));
    assert.ok((alice?.expiresAt ?? 0) > Date.now());
    assert.equal(bob?.projectId, ks.ids.projB);
    assert.equal(admin?.userId, ks.ids.admin);
    assert.ok(admin?.roles.includes('admin'));
    assert.equal(await client.validate('garbage'), null);
    assert.equal(await client.validate('not a token: spaces'), null);
    assert.equal(client.cachedAnswers, 2);
  });

  it('answers 503 when Keystone cannot be asked: nothing listening, or tally\'s service credentials refused', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    // log_level fatal: the error each 503 logs is expected here
    const base = { auth_mode: 'keystone' as const, keystone_username: 'tally', keystone_project_name: 'service', create_default_archive_policies: false, log_level: 'fatal' };
    const cases = [
      { keystone_url: `http://127.0.0.1:${closedPort}/v3`, keystone_password: ks.passwords.tally },
      { keystone_url: ks.url, keystone_password: 'not-the-password' },
    ];
    for (const c of cases) {
      const other = await startTestServer({ ...base, ...c });
      try {
        const res = await fetch(`${other.url}/v1/metric`, { headers: { accept: 'application/json', 'x-auth-token': tokens.alice } });
        assert.equal(res.status, 503, c.keystone_url);
        assert.equal(((await res.json()) as { code: number }).code, 503);
      } finally {
        await other.close();
      }
    }
  });

  it('serves the real gnocchi CLI with Keystone password auth', async () => {
    // the CLI's own environment only: no OS_* or GNOCCHI_* from the caller's
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(OS_|GNOCCHI_)/.test(k)));
    const gnocchi = async (user: 'alice' | 'bob', project: string, ...args: string[]): Promise<unknown> => {
      const env = {
        ...clean,
        OS_AUTH_TYPE: 'password',
        OS_AUTH_URL: ks.url,
        OS_USERNAME: user,
        OS_PASSWORD: ks.passwords[user],
        OS_PROJECT_NAME: project,
        OS_USER_DOMAIN_NAME: 'Default',
        OS_PROJECT_DOMAIN_NAME: 'Default',
        GNOCCHI_ENDPOINT: server.url,
      };
      const { stdout } = await run('gnocchi', [...args, '-f', 'json'], { env, encoding: 'utf8', timeout: 60_000 });
      return JSON.parse(stdout);
    };
    const [aliceList, bobList] = await Promise.all([gnocchi('alice', 'proj-a', 'resource', 'list'), gnocchi('bob', 'proj-b', 'resource', 'list')]);
    assert.deepEqual(ids(aliceList), [aliceResource]);
    assert.equal((aliceList as Record<string, unknown>[])[0].creator, `${ks.ids.alice}:${ks.ids.projA}`);
    assert.deepEqual(ids(bobList), [bobResource]);
    const metric = (await gnocchi('alice', 'proj-a', 'metric', 'create', '-a', 'low', '--unit', 'ms', 'latency')) as Record<string, unknown>;
    assert.equal(metric.name, 'latency');
    assert.equal(metric.unit, 'ms');
    assert.equal(metric.creator, `${ks.ids.alice}:${ks.ids.projA}`);
    const seen = await api(tokens.alice, 'GET', `/v1/metric/${String(metric.id)}`);
    assert.equal(seen.status, 200);
  });
});
