/**
 * GET /metrics: the process's own account of its memory and caches, as the
 * footprint bench reads it, beside Node.js's default metrics.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../cli/config.js';
import { type TestServer, startTestServer } from '../helpers/tally-server.js';

describe('GET /metrics', () => {
  let tally: TestServer;
  before(async () => {
    tally = await startTestServer({ evaluation_interval: 0 }, { collector: true, alarms: true });
  });
  after(async () => tally?.close());

  const scrape = async (): Promise<{ text: string; value: (metric: string, label: string, key: string) => number | undefined }> => {
    const res = await fetch(`${tally.url}/metrics`, { headers: { accept: 'text/plain' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const value = (metric: string, label: string, key: string): number | undefined => {
      const m = new RegExp(`^${metric}\\{${label}="${key}"\\} (\\S+)$`, 'm').exec(text);
      return m ? Number(m[1]) : undefined;
    };
    return { text, value };
  };

  it('accounts for the memory by part and for every cache', async () => {
    // a metric written and folded, so that the store's file and both threads hold something
    const headers = { 'content-type': 'application/json' };
    const metric = (await (await fetch(`${tally.url}/v1/metric`, { method: 'POST', headers, body: JSON.stringify({ archive_policy_name: 'low' }) })).json()) as { id: string };
    await fetch(`${tally.url}/v1/metric/${metric.id}/measures`, { method: 'POST', headers, body: JSON.stringify([{ timestamp: '2026-01-01T00:00:00', value: 1 }]) });
    await fetch(`${tally.url}/v1/metric/${metric.id}/measures?refresh=true`);
    const { text, value } = await scrape();
    for (const part of ['rss', 'rss_anonymous', 'rss_file', 'v8_heap_main_thread', 'index_wasm_memory_allocated']) {
      assert.ok((value('tally_memory_bytes', 'part', part) ?? 0) > 0, `${part} in:\n${text}`);
    }
    // PGlite's WASM memory: at least the 128 MB its module asks for, resident only in part
    const allocated = value('tally_memory_bytes', 'part', 'index_wasm_memory_allocated')!;
    const resident = value('tally_memory_bytes', 'part', 'index_wasm_memory_resident')!;
    assert.ok(allocated >= 128 * 2 ** 20 && resident > 0 && resident <= allocated, `${resident} of ${allocated}`);
    assert.ok(value('tally_memory_bytes', 'part', 'lmdb_map_resident')! >= 0);
    assert.ok(value('tally_memory_bytes', 'part', 'v8_heap_aggregation_thread')! > 0, 'the aggregation thread answers');
    for (const cache of ['metric_states_main_thread', 'known_metrics_main_thread', 'write_keys', 'metric_states_aggregation_thread', 'index_metrics', 'alarm_working_set', 'alarm_last_evaluations']) {
      assert.notEqual(value('tally_cache_entries', 'cache', cache), undefined, `${cache} in:\n${text}`);
    }
    assert.ok(value('tally_cache_entries', 'cache', 'metric_states_main_thread')! >= 1);
    // and Node.js's own
    assert.match(text, /^process_resident_memory_bytes \d+/m);
    assert.match(text, /^nodejs_heap_size_used_bytes \d+/m);
  });
});

describe('memory configuration', () => {
  it('takes sizes and says what it refuses', () => {
    const c = loadConfig({ env: { TALLY_METRIC_CACHE_SIZE: '5000', TALLY_PGLITE_SHARED_BUFFERS: '32MB' } });
    assert.equal(c.metric_cache_size, 5000);
    assert.equal(c.pglite_shared_buffers, '32MB');
    assert.equal(loadConfig({ env: {} }).resource_cache_size, 100_000);
    assert.throws(() => loadConfig({ env: { TALLY_PGLITE_SHARED_BUFFERS: "16MB'; drop" } }), /pglite_shared_buffers: expected a size such as 16MB/);
    assert.throws(() => loadConfig({ env: { TALLY_RESOURCE_CACHE_SIZE: '0' } }), /resource_cache_size: expected a whole number of entries, 1 or more/);
    assert.throws(() => loadConfig({ env: { TALLY_KEYSTONE_CACHE_SIZE: '2.5' } }), /keystone_cache_size/);
  });
});
