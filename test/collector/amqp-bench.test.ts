/** Keeps bench/amqp-transport runnable: a tiny run against the local RabbitMQ must print its table. No timing is asserted. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../bench/amqp-transport.ts', import.meta.url));

describe('bench/amqp-transport', () => {
  it('prints its table on a small run', { timeout: 60_000 }, async () => {
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', script, '--messages', '2000', '--prefetch', '500', '--batch', '200', '--decode'], { timeout: 55_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${err.message}\n${stderr}`));
        else resolve(stdout);
      });
    });
    assert.match(out, /RabbitMQ transport, 2,000 notifications/);
    assert.match(out, /\|\s+500 \|\s+200 \|\s+[\d,]+ \|/);
  });
});
