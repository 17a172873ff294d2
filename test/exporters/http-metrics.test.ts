/**
 * tally_http_requests_total and tally_http_request_duration_seconds: one
 * series per route pattern, never per URL; unmatched paths share route "".
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestServer, startTestServer } from '../helpers/tally-server.js';

describe('HTTP request metrics', () => {
  let tally: TestServer | undefined;
  before(async () => {
    tally = await startTestServer();
  });
  after(async () => tally?.close());

  it('counts requests by route pattern and status, with their latency', async () => {
    const url = tally!.url;
    for (const id of ['00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000002']) {
      assert.equal((await fetch(`${url}/v1/metric/${id}`)).status, 404);
    }
    assert.equal((await fetch(`${url}/no/such/path/1`)).status, 404);
    assert.equal((await fetch(`${url}/no/such/path/2`)).status, 404);
    const text = await (await fetch(`${url}/metrics`, { headers: { accept: 'text/plain' } })).text();
    assert.match(text, /^tally_http_requests_total\{method="GET",route="\/v1\/metric\/:id",code="404"\} 2$/m);
    assert.match(text, /^tally_http_requests_total\{method="GET",route="",code="404"\} 2$/m);
    assert.match(text, /^tally_http_request_duration_seconds_count\{method="GET",route="\/v1\/metric\/:id"\} 2$/m);
    assert.match(text, /^tally_http_request_duration_seconds_bucket\{le="\+Inf",method="GET",route="\/v1\/metric\/:id"\} 2$/m);
    assert.doesNotMatch(text, /00000000-0000|no\/such/);
  });
});
