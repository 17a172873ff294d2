/**
 * A new embedded index starts as a copy of a template data directory (made by
 * the build) instead of running PGlite's initdb, and PGlite runs with the page
 * cache tally configures.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { copyTemplate, writeTemplate } from '../../tsdb/index/pglite-template.js';
import { openSql } from '../../tsdb/index/sql.js';

describe('PGlite data directory template', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-template-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is initdb written once, and a copy of it opens as an index with the configured page cache', { timeout: 120_000 }, async () => {
    const template = await writeTemplate(join(dir, 'template'));
    assert.ok(existsSync(join(template, 'PG_VERSION')));
    const index = join(dir, 'index');
    assert.equal(copyTemplate(index, template), true);
    assert.equal(readFileSync(join(index, 'PG_VERSION'), 'utf8'), readFileSync(join(template, 'PG_VERSION'), 'utf8'));
    const sql = await openSql(index, { sharedBuffers: '8MB' });
    try {
      assert.deepEqual(await sql.query('SHOW shared_buffers'), [{ shared_buffers: '8MB' }]);
      await sql.query('CREATE TABLE t (x int)');
      await sql.query('INSERT INTO t VALUES (1)');
      assert.deepEqual(await sql.query('SELECT x FROM t'), [{ x: 1 }]);
      assert.ok((sql.embeddedMemory?.() ?? 0) >= 128 * 2 ** 20, 'the WASM memory is accounted');
    } finally {
      await sql.close();
    }
    // the template itself is untouched by the index's writes
    const copy = join(dir, 'second');
    assert.equal(copyTemplate(copy, template), true);
    const second = await openSql(copy);
    try {
      assert.deepEqual(await second.query("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 't'"), [{ n: 0 }]);
      assert.deepEqual(await second.query('SHOW shared_buffers'), [{ shared_buffers: '16MB' }]);
    } finally {
      await second.close();
    }
    assert.equal(copyTemplate(join(dir, 'none'), join(dir, 'missing-template')), false, 'no template: PGlite initdb runs instead');
  });
});
