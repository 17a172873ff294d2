/** Status codes and error bodies as Gnocchi 4.4 returns them for the same mistakes (bodies recorded from it). */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestServer, startTestServer } from '../helpers/tally-server.js';

const ADMIN = 'basic YWRtaW46'; // admin:
const FOOBAR = 'basic Zm9vYmFyOg=='; // foobar:

describe('Gnocchi error answers', () => {
  let server: TestServer;
  const call = async (method: string, path: string, headers: Record<string, string>, body?: string) => {
    const r = await fetch(`${server.url}${path}`, { method, headers, body });
    return { status: r.status, type: r.headers.get('content-type') ?? '', text: await r.text() };
  };
  const json = { accept: 'application/json', 'content-type': 'application/json' };

  before(async () => {
    server = await startTestServer({ auth_mode: 'basic', create_default_archive_policies: false });
  });
  after(async () => server?.close());

  it('starts without policies when asked, as Gnocchi\'s test configuration does', async () => {
    const r = await call('GET', '/v1/archive_policy', { authorization: FOOBAR });
    assert.equal(r.status, 200);
    assert.equal(r.text, '[]');
  });

  it('answers 404, 409, 415, 403, 401 and 406 like Gnocchi', async () => {
    let r = await call('GET', '/v1/archive_policy/nope', { authorization: ADMIN, ...json });
    assert.equal(r.status, 404);
    assert.deepEqual(JSON.parse(r.text), { code: 404, title: 'Not Found', description: 'Archive policy nope does not exist' });
    assert.equal(r.text, '{"code": 404, "title": "Not Found", "description": "Archive policy nope does not exist"}', "Python's JSON text");
    r = await call('GET', '/v1/nothing-here', { authorization: ADMIN, ...json });
    assert.equal(r.text, '{"code": 404, "title": "Not Found", "description": "The resource could not be found."}');
    r = await call('PUT', '/v1/archive_policy', { authorization: ADMIN, ...json });
    assert.equal(r.status, 405);
    r = await call('GET', '/healthcheck', {});
    assert.equal(r.status, 200, 'the health check needs no credentials');
    r = await call('GET', '/v1/archive_policy/nope', { authorization: ADMIN });
    assert.match(r.type, /text\/html/);
    assert.match(r.text, /<h1>404 Not Found<\/h1>[\s\S]*Archive policy nope does not exist/);

    const body = JSON.stringify({ name: 'p1', definition: [{ granularity: '1 minute', points: 10 }] });
    assert.equal((await call('POST', '/v1/archive_policy', { authorization: ADMIN, ...json }, body)).status, 201);
    r = await call('POST', '/v1/archive_policy', { authorization: ADMIN, ...json }, body);
    assert.deepEqual(JSON.parse(r.text), { code: 409, title: 'Conflict', description: 'Archive policy p1 already exists' });
    r = await call('POST', '/v1/archive_policy', { authorization: ADMIN, accept: 'application/json', 'content-type': 'text/plain' }, 'x');
    assert.deepEqual(JSON.parse(r.text), { code: 415, title: 'Unsupported Media Type', description: '' });
    r = await call('POST', '/v1/archive_policy', { authorization: FOOBAR, ...json }, body);
    assert.deepEqual(JSON.parse(r.text), { code: 403, title: 'Forbidden', description: '' });
    assert.equal((await call('POST', '/v1/archive_policy', { ...json }, body)).status, 401);
    assert.equal((await call('GET', '/v1/archive_policy', { authorization: ADMIN, accept: 'text/html' })).status, 406);
  });

  it('words invalid input as Gnocchi (voluptuous) does', async () => {
    const post = async (body: unknown) => JSON.parse((await call('POST', '/v1/archive_policy', { authorization: ADMIN, ...json }, JSON.stringify(body))).text);
    assert.deepEqual((await post({ cowsay: 'moo' })).description, {
      cause: 'Invalid input',
      reason: "extra keys not allowed @ data['cowsay']",
      detail: ['cowsay'],
    });
    assert.deepEqual((await post({ name: 'x' })).description.detail, ['definition']);
    assert.match((await post({ name: 'x' })).description.reason, /^required key not provided/);
    assert.match((await post({ name: 'x', definition: [] })).description.reason, /^length of value must be at least 1/);
    assert.deepEqual((await post({ name: 'p3', definition: [{ granularity: '1 minute', points: 10, timespan: 7 }] })), {
      code: 400,
      title: 'Bad Request',
      description: 'timespan ≠ granularity × points',
    });
    const bad = await post({ name: 'p3', definition: [{ granularity: 'x' }] });
    assert.deepEqual(bad.description, {
      cause: 'Invalid input',
      reason: "Unable to parse timespan for dictionary value @ data['definition'][0]['granularity']",
      detail: ['definition', '0', 'granularity'],
    });
  });

  it('validates measures and their reads', async () => {
    const created = await call('POST', '/v1/metric', { authorization: ADMIN, ...json }, JSON.stringify({ archive_policy_name: 'p1' }));
    const id = JSON.parse(created.text).id as string;
    let r = await call('POST', `/v1/metric/${id}/measures`, { authorization: ADMIN, ...json }, JSON.stringify([{ timestamp: '2024-01-01', value: 'NaN' }]));
    assert.equal(r.status, 400);
    assert.equal(JSON.parse(r.text).description.reason, 'unexpected measures value');
    r = await call('POST', `/v1/metric/${id}/measures`, { authorization: ADMIN, ...json }, JSON.stringify([{ foo: 1 }]));
    assert.deepEqual(JSON.parse(r.text).description, { cause: 'Invalid input', reason: 'unexpected measures format', detail: [] });
    r = await call('GET', `/v1/metric/${id}/measures?aggregation=wtf`, { authorization: ADMIN, ...json });
    assert.equal(r.status, 404);
    assert.deepEqual(JSON.parse(r.text).description, {
      cause: 'Aggregation method does not exist for this metric',
      detail: { metric: id, aggregation_method: 'wtf' },
    });
    r = await call('GET', `/v1/metric/${id}/measures?granularity=foobar`, { authorization: ADMIN, ...json });
    assert.deepEqual(JSON.parse(r.text).description, { cause: 'Argument value error', reason: 'Unable to parse timespan', detail: 'granularity' });
    r = await call('GET', `/v1/metric/${id}/measures?resample=60`, { authorization: ADMIN, ...json });
    assert.equal(JSON.parse(r.text).description, 'A granularity must be specified to resample');
    assert.equal((await call('GET', '/v1/metric/foobar', { authorization: ADMIN, ...json })).status, 404);
    r = await call('GET', `/v1/metric/${id}`, { authorization: FOOBAR, ...json });
    assert.equal(r.status, 403, "a non-admin cannot see another's metric");
  });
});
