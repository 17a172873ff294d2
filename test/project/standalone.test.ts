/**
 * The project stands alone: nothing in it names a path outside the checkout,
 * and a copy of what a clone holds, elsewhere, installs with `npm ci`, starts
 * with `npm start`, answers Gnocchi's own API suite through its own gabbi
 * runner, and passes a subset of its tests with its own `npm test` (the
 * collector's Ceilometer oracles, which once read definition files from
 * beside the checkout).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { freePort } from '../helpers/free-port.js';
import { requires } from '../lib/requirements.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const run = promisify(execFile);

/** What a clone of the repository holds, with this working tree's changes: tracked and new files, not ignored ones. */
function checkoutFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' });
  return out.split('\0').filter((f) => f && existsSync(join(ROOT, f)));
}

/** Whether any process of the group `child` leads is still running. */
function groupAlive(child: ChildProcess): boolean {
  try {
    process.kill(-child.pid!, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the project stands alone', requires('git'), () => {
  it('names no path outside its checkout', () => {
    // the checkout's parent by absolute path, and the folders beside the checkout where it is developed, by relative and absolute path
    const beside = ['shared', '.library'];
    const outside = [`${resolve(ROOT, '..')}/`, ...beside.flatMap((name) => [`../${name}`, `${resolve('/', 'work', name)}`])];
    const found: string[] = [];
    for (const file of checkoutFiles()) {
      if (file === 'test/project/standalone.test.ts') continue; // the patterns themselves
      const text = readFileSync(join(ROOT, file), 'utf8');
      text.split('\n').forEach((line, i) => {
        for (const p of outside) if (line.includes(p)) found.push(`${file}:${i + 1}: ${line.trim().slice(0, 160)}`);
      });
    }
    assert.deepEqual(found, []);
  });

  describe('a copy elsewhere', () => {
    const base = mkdtempSync(join(tmpdir(), 'tally-clone-'));
    const copy = join(base, 'tally');
    let server: ChildProcess | undefined;
    let serverOutput = '';

    before(async () => {
      for (const file of checkoutFiles()) {
        mkdirSync(join(copy, dirname(file)), { recursive: true });
        cpSync(join(ROOT, file), join(copy, file));
      }
      // from npm's cache, as a second install on the same machine is
      await run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: copy, maxBuffer: 16 << 20 });
    }, { timeout: 300_000 });
    after(async () => {
      if (server && groupAlive(server)) process.kill(-server.pid!, 'SIGKILL');
      rmSync(base, { recursive: true, force: true });
    });

    it('starts with npm start and passes a gabbi suite through its own runner', { timeout: 180_000, ...requires('python3-gabbi', 'python3-gnocchi') }, async () => {
      const port = await freePort();
      // the configuration Gnocchi's suites assume (test/gabbi/README.md)
      const env = { ...process.env, TALLY_AUTH_MODE: 'basic', TALLY_MAX_LIMIT: '7', TALLY_CREATE_DEFAULT_ARCHIVE_POLICIES: 'false', TALLY_LOG_LEVEL: 'warn' };
      // its own process group, as in a terminal: Ctrl-C (or the kill below) reaches npm, its shell and tally
      server = spawn('npm', ['start', '--', '--port', String(port), '--data-dir', join(base, 'data')], { cwd: copy, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      server.stdout?.on('data', (d: Buffer) => (serverOutput += d.toString()));
      server.stderr?.on('data', (d: Buffer) => (serverOutput += d.toString()));
      const until = Date.now() + 90_000;
      while (!serverOutput.includes(`listening on http://127.0.0.1:${port}`)) {
        assert.ok(Date.now() < until && server.exitCode === null, `npm start did not come up:\n${serverOutput}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const gabbits = '/usr/lib/python3/dist-packages/gnocchi/tests/functional/gabbits';
      const result = await run('/usr/bin/python3', [join(copy, 'test/gabbi/gabbi_run.py'), `http://127.0.0.1:${port}`, '--', join(gabbits, 'base.yaml')], { encoding: 'utf8' }).then(
        (r) => ({ ok: true, out: r.stdout + r.stderr }),
        (e: { stdout?: string; stderr?: string }) => ({ ok: false, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }),
      );
      assert.ok(result.ok, result.out.slice(-3000));
      assert.match(result.out, /Ran \d+ tests?/);
      // SIGTERM to the group, as a service manager sends it: tally stops cleanly, nothing is left
      process.kill(-server.pid!, 'SIGTERM');
      const gone = Date.now() + 30_000;
      while (groupAlive(server)) {
        assert.ok(Date.now() < gone, `still running 30 s after SIGTERM:\n${serverOutput}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.match(serverOutput, /tally: SIGTERM, shutting down/);
      assert.doesNotMatch(serverOutput, /shutdown failed/);
      assert.doesNotMatch(serverOutput, /running the TypeScript sources/, 'npm ci built it: tally runs the build');
    });

    it('runs its TypeScript sources, and says so, when they changed since the build', { timeout: 60_000 }, async () => {
      const source = join(copy, 'cli', 'config.ts');
      const later = new Date(Date.now() + 5_000);
      utimesSync(source, later, later);
      const r = spawnSync(process.execPath, [join(copy, 'bin', 'tally.js'), 'tsdb-status', '--data-dir', join(base, 'nothing')], { encoding: 'utf8' });
      assert.match(r.stderr, /tally: running the TypeScript sources \(not built, or changed since `npm run build`\)/);
      assert.match(r.stderr, /no time-series store at/, 'and the command ran');
      assert.equal(r.status, 1);
    });

    it("runs its own npm test on the collector's Ceilometer oracles", { timeout: 300_000, ...requires('python3-ceilometer', 'python3-jsonpath-rw-ext') }, async () => {
      const files = ['test/collector/meters.test.ts', 'test/collector/events.test.ts', 'test/collector/jsonpath.test.ts'];
      const { stdout } = await run('npm', ['test', '--', ...files], { cwd: copy, encoding: 'utf8', maxBuffer: 16 << 20 }).catch((e: { stdout?: string; stderr?: string; message: string }) =>
        assert.fail(`npm test failed in the copy: ${e.message}\n${(e.stdout ?? '').slice(-4000)}\n${e.stderr ?? ''}`),
      );
      assert.match(stdout, /3 files: \d+ tests passed, 0 failed, 0 skipped/);
      assert.match(stdout, /Ceilometer 19 meter definitions, notification corpus +(\d+)\/\1 notifications agree/);
      assert.match(stdout, /Ceilometer 19 event definitions, notification corpus +(\d+)\/\1 notifications agree/);
    });
  });
});
