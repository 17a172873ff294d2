/**
 * GET /healthz and /readyz: answered without credentials; not ready (503,
 * with the reason) while a configured broker cannot be reached.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../helpers/free-port.js';
import { type TestServer, startTestServer } from '../helpers/tally-server.js';

describe('/healthz and /readyz', () => {
  let ready: TestServer | undefined;
  let brokerDown: TestServer | undefined;
  before(async () => {
    ready = await startTestServer({ auth_mode: 'basic' });
    brokerDown = await startTestServer({ amqp_url: `amqp://guest:guest@127.0.0.1:${await freePort()}/`, evaluation_interval: 0 }, { collector: true });
  });
  after(async () => {
    await ready?.close();
    await brokerDown?.close();
  });

  it('answers without credentials where the API asks for them', async () => {
    assert.equal((await fetch(`${ready!.url}/v1/metric`)).status, 401);
    const alive = await fetch(`${ready!.url}/healthz`);
    assert.equal(alive.status, 200);
    assert.deepEqual(await alive.json(), { status: 'alive' });
    const readyz = await fetch(`${ready!.url}/readyz`);
    assert.equal(readyz.status, 200);
    assert.deepEqual(await readyz.json(), { status: 'ready' });
  });

  it('is alive but not ready while the broker is unreachable', async () => {
    assert.equal((await fetch(`${brokerDown!.url}/healthz`)).status, 200);
    const res = await fetch(`${brokerDown!.url}/readyz`);
    assert.equal(res.status, 503);
    const body = (await res.json()) as { status: string; reason: string };
    assert.equal(body.status, 'not ready');
    assert.match(body.reason, /^not connected to RabbitMQ \(amqp:\/\/.*127\.0\.0\.1:\d+/);
    assert.doesNotMatch(body.reason, /guest:guest/, 'the password is not shown');
  });
});
