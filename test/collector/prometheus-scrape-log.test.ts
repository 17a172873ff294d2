/**
 * The scraper's log: a target's health changes (down, up again) are logged
 * once each, not at every scrape. The target is a port nothing listens on,
 * then a real prometheus-node-exporter started on it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseScrapeConfig } from '../../collector/prometheus/scrape-config.js';
import { PrometheusScraper } from '../../collector/prometheus/scraper.js';
import { TsdbSink } from '../../collector/tsdb-sink.js';
import { Engine } from '../../tsdb/engine.js';
import { Index } from '../../tsdb/index/index.js';
import { freePort } from '../helpers/free-port.js';
import { type Service, PROMETHEUS_NEEDS, startNodeExporter } from '../helpers/prometheus-services.js';
import { requires } from '../lib/requirements.js';

async function waitFor(what: string, probe: () => boolean, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('scraper logs', requires(...PROMETHEUS_NEEDS), () => {
  test('health changes are logged once each, not every scrape', async () => {
    const data = mkdtempSync(join(tmpdir(), 'tally-scrape-log-'));
    const engine = Engine.open({ path: join(data, 'tsdb') });
    const index = await Index.open(join(data, 'index'));
    const port = await freePort();
    const lines: string[] = [];
    const log = { info: (m: string) => lines.push(`info ${m}`), warn: (m: string) => lines.push(`warn ${m}`), error: (m: string) => lines.push(`error ${m}`) };
    const config = parseScrapeConfig({ scrape_configs: [{ job_name: 'flaky', scrape_interval: '200ms', static_configs: [{ targets: [`127.0.0.1:${port}`] }] }] }, 'inline', data);
    const scraper = new PrometheusScraper({ config, sink: new TsdbSink(engine, index), log });
    let exp: Service | undefined;
    try {
      scraper.start();
      assert.equal(scraper.targetCount, 1);
      await waitFor('a failed scrape', () => scraper.targets()[0].health === 'down');
      await new Promise((r) => setTimeout(r, 700)); // a few more failed scrapes
      exp = await startNodeExporter({ port });
      await waitFor('the target up', () => scraper.targets()[0].health === 'up');
      await new Promise((r) => setTimeout(r, 700));
      assert.deepEqual(
        lines.map((l) => l.replace(/: connect ECONNREFUSED.*/, ': refused')),
        [`warn prometheus scrape job flaky target http://127.0.0.1:${port}/metrics is down: refused`, `info prometheus scrape job flaky target http://127.0.0.1:${port}/metrics is up again`],
      );
    } finally {
      await scraper.stop();
      await exp?.stop();
      await engine.close();
      await index.close();
      rmSync(data, { recursive: true, force: true });
    }
  });
});
