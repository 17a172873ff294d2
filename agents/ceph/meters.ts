/**
 * The meters the Ceph sampler produces, and which part of a poll reads each:
 * the cluster through librados (`cluster`, `pools`, `osds`, `rbd`) or the
 * RGW admin API (`rgw`). A part that fails leaves the others standing.
 */
import type { CounterType } from '../sample.js';

export type CephPart = 'cluster' | 'pools' | 'osds' | 'rbd' | 'rgw';
export const RADOS_PARTS: readonly CephPart[] = ['cluster', 'pools', 'osds', 'rbd'];
export const PARTS: readonly CephPart[] = [...RADOS_PARTS, 'rgw'];

export interface CephMeter {
  readonly name: string;
  readonly type: CounterType;
  readonly unit: string;
  readonly part: CephPart;
}

const m = (name: string, type: CounterType, unit: string, part: CephPart): CephMeter => ({ name, type, unit, part });

export const CEPH_METERS: readonly CephMeter[] = [
  // resource: the cluster (its fsid)
  m('ceph.cluster.bytes.total', 'gauge', 'B', 'cluster'),
  m('ceph.cluster.bytes.used', 'gauge', 'B', 'cluster'),
  m('ceph.cluster.bytes.available', 'gauge', 'B', 'cluster'),
  /** 0 HEALTH_OK, 1 HEALTH_WARN, 2 HEALTH_ERR (the mgr prometheus module's encoding) */
  m('ceph.cluster.health', 'gauge', 'status', 'cluster'),
  m('ceph.osd.up', 'gauge', 'osd', 'osds'),
  m('ceph.osd.in', 'gauge', 'osd', 'osds'),
  // resource: one OSD (`osd.N`)
  m('ceph.osd.commit.latency', 'gauge', 'ms', 'osds'),
  m('ceph.osd.apply.latency', 'gauge', 'ms', 'osds'),
  // resource: one pool (its name)
  m('ceph.pool.bytes.used', 'gauge', 'B', 'pools'),
  m('ceph.pool.bytes.stored', 'gauge', 'B', 'pools'),
  m('ceph.pool.objects', 'gauge', 'object', 'pools'),
  m('ceph.pool.read.requests', 'cumulative', 'request', 'pools'),
  m('ceph.pool.write.requests', 'cumulative', 'request', 'pools'),
  m('ceph.pool.read.bytes', 'cumulative', 'B', 'pools'),
  m('ceph.pool.write.bytes', 'cumulative', 'B', 'pools'),
  // resource: a Cinder volume, a Nova instance, a Glance image, else `pool/image`
  m('ceph.rbd.image.provisioned', 'gauge', 'B', 'rbd'),
  m('ceph.rbd.image.used', 'gauge', 'B', 'rbd'),
  // Ceilometer 19's radosgw pollsters (ceilometer/objectstore/rgw.py), same names, types and units
  m('radosgw.objects', 'gauge', 'object', 'rgw'),
  m('radosgw.objects.size', 'gauge', 'B', 'rgw'),
  m('radosgw.objects.containers', 'gauge', 'object', 'rgw'),
  m('radosgw.containers.objects', 'gauge', 'object', 'rgw'),
  m('radosgw.containers.objects.size', 'gauge', 'B', 'rgw'),
  m('radosgw.api.request', 'gauge', 'request', 'rgw'),
];

/**
 * Ceilometer's polling.yaml names pollsters, and its `radosgw.usage` pollster
 * emits samples named `radosgw.api.request`: either name asks for them.
 */
export const METER_ALIASES: Readonly<Record<string, string>> = { 'radosgw.usage': 'radosgw.api.request' };

/** The meters among CEPH_METERS that `wanted` asks for, by name or alias. */
export function wantedMeters(wanted: ReadonlySet<string>, meters: readonly CephMeter[] = CEPH_METERS): Map<string, CephMeter> {
  const out = new Map<string, CephMeter>();
  const asked = new Set(wanted);
  for (const [alias, name] of Object.entries(METER_ALIASES)) if (wanted.has(alias)) asked.add(name);
  for (const meter of meters) if (asked.has(meter.name)) out.set(meter.name, meter);
  return out;
}
