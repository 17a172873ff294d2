/**
 * The names of the ceph-mgr prometheus module (src/pybind/mgr/prometheus,
 * as in Ceph 16.2 Pacific, Debian 12's ceph-mgr), computed from
 * the Ceph sampler's samples: the table says which meter feeds which mgr
 * metric, with which labels and value; CEPH_MGR_UNMAPPED says why the other
 * meters feed none.
 */
import type { AgentSample } from '../sample.js';
import type { FamilySpec } from './family.js';
import type { Mapping, SeriesSink } from './poll-series.js';
import type { FamilyType, Labels } from './prom-text.js';
import { pyStr } from './python-value.js';

/**
 * The mgr's labels: none (cluster-wide), `pool_id`, `pool_id` and `name`
 * (ceph_pool_metadata), `ceph_daemon` (`osd.N`, the OSD samples' resource id).
 */
type CephLabels = 'cluster' | 'pool' | 'pool_metadata' | 'osd';

/** The value: the sample's volume, 1 (a metadata metric), or a boolean of its metadata as 0/1. */
type CephValue = 'volume' | 'one' | { readonly flag: string };

interface CephRow {
  readonly meter: string;
  readonly family: FamilySpec;
  readonly labels: CephLabels;
  readonly value: CephValue;
}

const family = (name: string, type: FamilyType, help: string): FamilySpec => ({ name, help, type });

const HEALTH = family('ceph_health_status', 'untyped', 'Cluster health: 0 HEALTH_OK, 1 HEALTH_WARN, 2 HEALTH_ERR.');
const OSD_UP = family('ceph_osd_up', 'untyped', 'Whether the OSD is up (1) or down (0).');
const OSD_IN = family('ceph_osd_in', 'untyped', 'Whether the OSD is in (1) or out (0).');
const POOL_METADATA = family('ceph_pool_metadata', 'untyped', 'A pool: its id and name.');

const POOL_METERS = ['ceph.pool.bytes.used', 'ceph.pool.bytes.stored', 'ceph.pool.objects', 'ceph.pool.read.requests', 'ceph.pool.write.requests', 'ceph.pool.read.bytes', 'ceph.pool.write.bytes'];
const OSD_METERS = ['ceph.osd.commit.latency', 'ceph.osd.apply.latency'];

/** meter → mgr metric: the table to complete */
export const CEPH_MGR_TABLE: readonly CephRow[] = [
  { meter: 'ceph.cluster.bytes.total', family: family('ceph_cluster_total_bytes', 'gauge', 'Raw capacity of the cluster, in bytes.'), labels: 'cluster', value: 'volume' },
  // the sampler's used is `ceph df`'s total_used_raw_bytes
  { meter: 'ceph.cluster.bytes.used', family: family('ceph_cluster_total_used_raw_bytes', 'gauge', 'Raw capacity used, in bytes.'), labels: 'cluster', value: 'volume' },
  { meter: 'ceph.cluster.health', family: HEALTH, labels: 'cluster', value: 'volume' },
  { meter: 'ceph.osd.commit.latency', family: family('ceph_osd_commit_latency_ms', 'gauge', 'Commit latency of the OSD, in ms.'), labels: 'osd', value: 'volume' },
  { meter: 'ceph.osd.apply.latency', family: family('ceph_osd_apply_latency_ms', 'gauge', 'Apply latency of the OSD, in ms.'), labels: 'osd', value: 'volume' },
  // the per-OSD state rides on the per-OSD samples' metadata
  ...OSD_METERS.flatMap((meter): CephRow[] => [
    { meter, family: OSD_UP, labels: 'osd', value: { flag: 'up' } },
    { meter, family: OSD_IN, labels: 'osd', value: { flag: 'in' } },
  ]),
  { meter: 'ceph.pool.bytes.used', family: family('ceph_pool_bytes_used', 'gauge', 'Raw capacity the pool uses, in bytes.'), labels: 'pool', value: 'volume' },
  { meter: 'ceph.pool.bytes.stored', family: family('ceph_pool_stored', 'gauge', 'Data stored in the pool, in bytes.'), labels: 'pool', value: 'volume' },
  { meter: 'ceph.pool.objects', family: family('ceph_pool_objects', 'gauge', 'Objects in the pool.'), labels: 'pool', value: 'volume' },
  { meter: 'ceph.pool.read.requests', family: family('ceph_pool_rd', 'counter', 'Read operations on the pool.'), labels: 'pool', value: 'volume' },
  { meter: 'ceph.pool.write.requests', family: family('ceph_pool_wr', 'counter', 'Write operations on the pool.'), labels: 'pool', value: 'volume' },
  { meter: 'ceph.pool.read.bytes', family: family('ceph_pool_rd_bytes', 'counter', 'Bytes read from the pool.'), labels: 'pool', value: 'volume' },
  { meter: 'ceph.pool.write.bytes', family: family('ceph_pool_wr_bytes', 'counter', 'Bytes written to the pool.'), labels: 'pool', value: 'volume' },
  // joins pool_id to the pool's name; any pool sample says the pool exists
  ...POOL_METERS.map((meter): CephRow => ({ meter, family: POOL_METADATA, labels: 'pool_metadata', value: 'one' })),
];

/** The sampler's meters that feed no mgr metric, and why. */
export const CEPH_MGR_UNMAPPED: Readonly<Record<string, string>> = {
  'ceph.cluster.bytes.available': 'the module exports no available capacity (ceph_cluster_total_bytes − ceph_cluster_total_used_raw_bytes)',
  'ceph.osd.up': 'a count; the module exports ceph_osd_up per OSD (sum(ceph_osd_up))',
  'ceph.osd.in': 'a count; the module exports ceph_osd_in per OSD (sum(ceph_osd_in))',
  'ceph.rbd.image.provisioned': "the module's per-image metrics (rbd_stats_pools) are I/O counters, not sizes",
  'ceph.rbd.image.used': "the module's per-image metrics (rbd_stats_pools) are I/O counters, not sizes",
  'radosgw.objects': "the module's ceph_rgw_* are each radosgw daemon's counters, not per project",
  'radosgw.objects.size': "the module's ceph_rgw_* are each radosgw daemon's counters, not per project",
  'radosgw.objects.containers': "the module's ceph_rgw_* are each radosgw daemon's counters, not per project",
  'radosgw.containers.objects': "the module's ceph_rgw_* are each radosgw daemon's counters, not per bucket",
  'radosgw.containers.objects.size': "the module's ceph_rgw_* are each radosgw daemon's counters, not per bucket",
  'radosgw.api.request': "the module's ceph_rgw_req counts a daemon's requests, not a project's",
};

const BY_METER = new Map<string, CephRow[]>();
for (const r of CEPH_MGR_TABLE) BY_METER.set(r.meter, [...(BY_METER.get(r.meter) ?? []), r]);

function labelsOf(kind: CephLabels, s: AgentSample): Labels {
  switch (kind) {
    case 'cluster':
      return {};
    case 'osd':
      return { ceph_daemon: s.resource_id };
    case 'pool':
      return { pool_id: pyStr(s.resource_metadata.pool_id) };
    case 'pool_metadata':
      return { pool_id: pyStr(s.resource_metadata.pool_id), name: s.resource_id };
  }
}

function valueOf(value: CephValue, s: AgentSample): number {
  if (value === 'volume') return s.volume;
  if (value === 'one') return 1;
  return s.resource_metadata[value.flag] ? 1 : 0;
}

/** Samples of any source whose meter is in the table (the names are Ceph's alone). */
export class CephMgrMapping implements Mapping {
  write(_source: string, samples: readonly AgentSample[] | null, sink: SeriesSink): void {
    if (samples === null) return;
    for (const s of samples) {
      const rows = BY_METER.get(s.name);
      if (rows === undefined) continue;
      for (const r of rows) sink.add(r.family, labelsOf(r.labels, s), valueOf(r.value, s));
    }
  }
}
