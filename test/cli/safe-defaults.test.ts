/**
 * The command's safe defaults: a tally that cannot listen exits with an error
 * and leaves its data directory usable, and auth_mode noauth (every caller
 * admin) is refused on an address other hosts reach unless the operator says
 * --insecure-noauth. Nothing here listens beyond loopback: the refusals
 * happen before a socket opens.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkNoauthExposure, isLoopback, loadConfig } from '../../cli/config.js';
import { freePort } from '../helpers/free-port.js';

const bin = fileURLToPath(new URL('../../bin/tally.js', import.meta.url));

interface Run {
  readonly child: ChildProcess;
  output: string;
  /** resolves with the exit code */
  readonly exited: Promise<number | null>;
}

function tally(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, TALLY_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const run: Run = { child, output: '', exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
  child.stdout?.on('data', (d: Buffer) => (run.output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (run.output += d.toString()));
  return run;
}

/** The exit code, or a failure if the process is still running after `ms`. */
async function exitWithin(run: Run, ms: number): Promise<number | null> {
  const timer = setTimeout(() => run.child.kill('SIGKILL'), ms);
  const code = await run.exited;
  clearTimeout(timer);
  assert.notEqual(run.child.signalCode, 'SIGKILL', `still running after ${ms} ms:\n${run.output}`);
  return code;
}

async function listening(run: Run, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!/listening on http/.test(run.output)) {
    if (run.child.exitCode !== null || Date.now() > until) assert.fail(`tally did not come up:\n${run.output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a port already in use', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-safe-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const command of ['all-in-one', 'api']) {
    it(`${command}: exits non-zero, says so, and releases its storage`, { timeout: 120_000 }, async () => {
      const blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      const port = (blocker.address() as { port: number }).port;
      const data = join(dir, command);
      try {
        const refused = tally([command, '--port', String(port), '--data-dir', data]);
        assert.equal(await exitWithin(refused, 60_000), 1);
        assert.match(refused.output, new RegExp(`tally: cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use`));
      } finally {
        await new Promise((resolve) => blocker.close(resolve));
      }
      // the same data directory opens again at once, in another process
      const next = tally([command, '--port', String(await freePort()), '--data-dir', data]);
      try {
        await listening(next);
      } finally {
        next.child.kill('SIGTERM');
      }
      assert.equal(await exitWithin(next, 30_000), 0, next.output);
    });
  }

  it('tally alarms: exits non-zero too', { timeout: 60_000 }, async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const refused = tally(['alarms', '--port', String(port), '--data-dir', join(dir, 'alarms')], { TALLY_EVALUATION_INTERVAL: '0' });
      assert.equal(await exitWithin(refused, 60_000), 1);
      assert.match(refused.output, /the port is in use/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

describe('auth_mode noauth beyond loopback', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-noauth-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [command, host] of [['all-in-one', '0.0.0.0'], ['api', '::'], ['alarms', '0.0.0.0']]) {
    it(`${command} --host ${host}: refused before anything opens, with the way out`, { timeout: 60_000 }, async () => {
      const data = join(dir, `${command}-${host.replace(/\W/g, '')}`);
      const refused = tally([command, '--host', host, '--port', String(await freePort()), '--data-dir', data]);
      assert.equal(await exitWithin(refused, 30_000), 1);
      assert.match(refused.output, /refusing to listen on .* with auth_mode noauth: every caller that reaches it would be admin/);
      assert.match(refused.output, /--insecure-noauth/);
      assert.equal(existsSync(data), false, 'no storage was created');
    });
  }

  it('is allowed on loopback, with basic or keystone auth, or when the operator says so', async () => {
    const config = (flags: Record<string, unknown>) => loadConfig({ env: {}, flags });
    await checkNoauthExposure(config({}));
    await checkNoauthExposure(config({ host: 'localhost' }));
    await checkNoauthExposure(config({ host: '::1' }));
    await checkNoauthExposure(config({ host: '127.0.0.2' }));
    await checkNoauthExposure(config({ host: '0.0.0.0', auth_mode: 'basic' }));
    await checkNoauthExposure(config({ host: '0.0.0.0', insecure_noauth: true }));
    await assert.rejects(checkNoauthExposure(config({ host: '0.0.0.0' })), /auth_mode noauth/);
    await assert.rejects(checkNoauthExposure(loadConfig({ env: { TALLY_HOST: '::' } })), /auth_mode noauth/);
    await checkNoauthExposure(loadConfig({ env: { TALLY_HOST: '::', TALLY_INSECURE_NOAUTH: 'true' } }));
  });

  it('knows loopback addresses from others', async () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1', 'localhost']) assert.equal(await isLoopback(host), true, host);
    for (const host of ['0.0.0.0', '::', '', '10.0.0.1', '192.168.1.1', 'fe80::1', 'host.invalid']) assert.equal(await isLoopback(host), false, host);
  });
});
