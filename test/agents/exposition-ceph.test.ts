/**
 * The ceph-mgr prometheus module's names from the Ceph sampler's samples
 * (made by agents/ceph/samples.ts from a reading of the cluster), and the
 * table kept in step with the sampler's meters: each is mapped or says why
 * not.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CEPH_METERS, wantedMeters } from '../../agents/ceph/meters.js';
import { clusterSamples } from '../../agents/ceph/samples.js';
import type { ClusterReading } from '../../agents/ceph/cluster-reader.js';
import { CEPH_MGR_TABLE, CEPH_MGR_UNMAPPED } from '../../agents/exposition/ceph-mgr.js';
import { CeilometerExposition } from '../../agents/exposition/exposition.js';

const FSID = '3f1c2b9a-0d4e-4c4f-9a51-6f2d8e7b1c00';
const READING: ClusterReading = {
  fsid: FSID,
  errors: {},
  cluster: { total: 107374182400, used: 3221225472, available: 104152956928, health: 'HEALTH_WARN' },
  pools: [
    { name: 'volumes', id: 2, stored: 1048576, bytes_used: 3145728, objects: 12, rd: 40, rd_bytes: 81920, wr: 30, wr_bytes: 1048576 },
    { name: 'vms', id: 3, stored: 0, bytes_used: 0, objects: 0, rd: 0, rd_bytes: 0, wr: 0, wr_bytes: 0 },
  ],
  osds: [
    { id: 0, up: true, in: true, commit_ms: 3, apply_ms: 3 },
    { id: 1, up: false, in: true, commit_ms: 0, apply_ms: 0 },
  ],
  images: [{ pool: 'volumes', name: 'volume-0b8f7f0e-5d6c-4b1a-9c3e-2a7d4e6f8a10', provisioned: 1073741824, used: 1048576 }],
};
const ALL = wantedMeters(new Set(CEPH_METERS.map((m) => m.name)));

/** The ceph_* families of the text, each as its lines. */
function cephFamilies(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const block of text.trim().split('\n\n')) {
    const name = block.split('\n')[1].split(' ')[2];
    if (name.startsWith('ceph_')) out.set(name, block.split('\n').slice(2));
  }
  return out;
}

describe("the ceph-mgr module's names", () => {
  it('cluster, pools and OSDs under the names, labels and units the mgr module gives them', async () => {
    const exposition = new CeilometerExposition({ exporterNames: { cephMgr: true } });
    exposition.update('ceph_pollsters/ceph', clusterSamples(READING, ALL, '2026-12-06T05:00:00'));
    const text = await exposition.metrics();
    assert.deepEqual(
      Object.fromEntries(cephFamilies(text)),
      {
        ceph_cluster_total_bytes: ['ceph_cluster_total_bytes 107374182400'],
        ceph_cluster_total_used_raw_bytes: ['ceph_cluster_total_used_raw_bytes 3221225472'],
        ceph_health_status: ['ceph_health_status 1'],
        ceph_osd_commit_latency_ms: ['ceph_osd_commit_latency_ms{ceph_daemon="osd.0"} 3', 'ceph_osd_commit_latency_ms{ceph_daemon="osd.1"} 0'],
        ceph_osd_up: ['ceph_osd_up{ceph_daemon="osd.0"} 1', 'ceph_osd_up{ceph_daemon="osd.1"} 0'],
        ceph_osd_in: ['ceph_osd_in{ceph_daemon="osd.0"} 1', 'ceph_osd_in{ceph_daemon="osd.1"} 1'],
        ceph_osd_apply_latency_ms: ['ceph_osd_apply_latency_ms{ceph_daemon="osd.0"} 3', 'ceph_osd_apply_latency_ms{ceph_daemon="osd.1"} 0'],
        ceph_pool_bytes_used: ['ceph_pool_bytes_used{pool_id="2"} 3145728', 'ceph_pool_bytes_used{pool_id="3"} 0'],
        ceph_pool_metadata: ['ceph_pool_metadata{pool_id="2",name="volumes"} 1', 'ceph_pool_metadata{pool_id="3",name="vms"} 1'],
        ceph_pool_stored: ['ceph_pool_stored{pool_id="2"} 1048576', 'ceph_pool_stored{pool_id="3"} 0'],
        ceph_pool_objects: ['ceph_pool_objects{pool_id="2"} 12', 'ceph_pool_objects{pool_id="3"} 0'],
        ceph_pool_rd: ['ceph_pool_rd{pool_id="2"} 40', 'ceph_pool_rd{pool_id="3"} 0'],
        ceph_pool_wr: ['ceph_pool_wr{pool_id="2"} 30', 'ceph_pool_wr{pool_id="3"} 0'],
        ceph_pool_rd_bytes: ['ceph_pool_rd_bytes{pool_id="2"} 81920', 'ceph_pool_rd_bytes{pool_id="3"} 0'],
        ceph_pool_wr_bytes: ['ceph_pool_wr_bytes{pool_id="2"} 1048576', 'ceph_pool_wr_bytes{pool_id="3"} 0'],
      },
    );
    // the mgr module's types: health and OSD states untyped, pool I/O counters (without _total, as the module writes them)
    for (const [name, type] of [['ceph_health_status', 'untyped'], ['ceph_osd_up', 'untyped'], ['ceph_pool_metadata', 'untyped'], ['ceph_pool_rd', 'counter'], ['ceph_pool_stored', 'gauge']]) {
      assert.ok(text.includes(`\n# TYPE ${name} ${type}\n`), `${name} ${type}`);
    }
    assert.ok(text.includes('\nceilometer_ceph_pool_objects{ceph="objects",'), "Ceilometer's names stay");
  });

  it('without the flag, Ceilometer names only', async () => {
    const exposition = new CeilometerExposition();
    exposition.update('ceph', clusterSamples(READING, ALL, '2026-12-06T05:00:00'));
    assert.equal(cephFamilies(await exposition.metrics()).size, 0);
  });

  it("every meter of the Ceph sampler is in the table or says why not, and the table names only the sampler's meters", () => {
    const mapped = new Set(CEPH_MGR_TABLE.map((r) => r.meter));
    const unmapped = new Set(Object.keys(CEPH_MGR_UNMAPPED));
    for (const m of CEPH_METERS) assert.ok(mapped.has(m.name) !== unmapped.has(m.name), `${m.name}: mapped or unmapped, not both`);
    const meters = new Set(CEPH_METERS.map((m) => m.name));
    for (const name of [...mapped, ...unmapped]) assert.ok(meters.has(name), `${name} is a meter of the sampler`);
  });
});
