/**
 * Gnocchi's own HTTP test suites (gabbi YAML from Debian's python3-gnocchi),
 * each file against a fresh tally configured as Gnocchi's test fixture is
 * (basic auth, max_limit 7, no default archive policies). The files listed
 * pass completely and must keep passing; `test/gabbi/README.md` has the
 * figures for all files.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startTestServer } from '../helpers/tally-server.js';

const GABBITS = '/usr/lib/python3/dist-packages/gnocchi/tests/functional/gabbits';
const RUNNER = fileURLToPath(new URL('../../../shared/tools/gnocchi/gabbi_run.py', import.meta.url));
const PASSING = ['archive', 'archive-rule', 'healthcheck', 'metric-granularity', 'metric-timestamp-format', 'metric-derived', 'aggregates-with-metric-ids'];

const run = promisify(execFile);

describe("Gnocchi's gabbi suites", () => {
  for (const name of PASSING) {
    it(`${name}.yaml passes`, { timeout: 120_000 }, async () => {
      assert.ok(existsSync(RUNNER), `gabbi runner not found at ${RUNNER} (shared/tools beside the checkout)`);
      const server = await startTestServer({ auth_mode: 'basic', max_limit: 7, create_default_archive_policies: false });
      try {
        const out = await run('/usr/bin/python3', [RUNNER, server.url, '--', join(GABBITS, `${name}.yaml`)], { encoding: 'utf8' }).then(
          (r) => r.stdout + r.stderr,
          (e: { stdout?: string; stderr?: string }) => `${e.stdout ?? ''}${e.stderr ?? ''}`,
        );
        const ran = Number(/Ran (\d+) tests?/.exec(out)?.[1] ?? 0);
        const failures = /FAILED \((?:failures=(\d+))?(?:, )?(?:errors=(\d+))?\)/.exec(out);
        const failed = failures ? Number(failures[1] ?? 0) + Number(failures[2] ?? 0) : 0;
        assert.ok(ran > 0, `no gabbi test ran:\n${out.slice(-2000)}`);
        assert.equal(failed, 0, `${failed} of ${ran} failed:\n${out.slice(-4000)}`);
      } finally {
        await server.close();
      }
    });
  }
});
