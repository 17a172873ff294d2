/** Readings of the cluster and of RGW turned into samples of the wanted meters. */
import type { AgentSample } from '../sample.js';
import type { ClusterReading } from './cluster-reader.js';
import type { CephMeter } from './meters.js';
import { rbdResource, rgwProject } from './resources.js';
import type { RgwReading } from './rgw-admin.js';

/** The mgr prometheus module's encoding of the health status. */
export const HEALTH_VALUES: Readonly<Record<string, number>> = { HEALTH_OK: 0, HEALTH_WARN: 1, HEALTH_ERR: 2 };

class SampleList {
  readonly samples: AgentSample[] = [];
  constructor(
    private readonly meters: ReadonlyMap<string, CephMeter>,
    private readonly timestamp: string,
  ) {}

  add(name: string, volume: number, resourceId: string, metadata: Readonly<Record<string, unknown>>, projectId: string | null = null): void {
    const meter = this.meters.get(name);
    if (!meter) return;
    this.samples.push({ name, type: meter.type, unit: meter.unit, volume, user_id: null, project_id: projectId, resource_id: resourceId, timestamp: this.timestamp, resource_metadata: metadata });
  }
}

export function clusterSamples(reading: ClusterReading, meters: ReadonlyMap<string, CephMeter>, timestamp: string): AgentSample[] {
  const out = new SampleList(meters, timestamp);
  const fsid = reading.fsid;
  const onCluster = { cluster_fsid: fsid };
  if (reading.cluster) {
    const c = reading.cluster;
    out.add('ceph.cluster.bytes.total', c.total, fsid, onCluster);
    out.add('ceph.cluster.bytes.used', c.used, fsid, onCluster);
    out.add('ceph.cluster.bytes.available', c.available, fsid, onCluster);
    const health = HEALTH_VALUES[c.health];
    if (health !== undefined) out.add('ceph.cluster.health', health, fsid, { ...onCluster, status: c.health });
  }
  if (reading.osds) {
    out.add('ceph.osd.up', reading.osds.filter((o) => o.up).length, fsid, onCluster);
    out.add('ceph.osd.in', reading.osds.filter((o) => o.in).length, fsid, onCluster);
    for (const osd of reading.osds) {
      const meta = { ...onCluster, osd_id: osd.id, up: osd.up, in: osd.in };
      if (osd.commit_ms !== null) out.add('ceph.osd.commit.latency', osd.commit_ms, `osd.${osd.id}`, meta);
      if (osd.apply_ms !== null) out.add('ceph.osd.apply.latency', osd.apply_ms, `osd.${osd.id}`, meta);
    }
  }
  for (const p of reading.pools ?? []) {
    const meta = { ...onCluster, pool_id: p.id };
    out.add('ceph.pool.bytes.used', p.bytes_used, p.name, meta);
    out.add('ceph.pool.bytes.stored', p.stored, p.name, meta);
    out.add('ceph.pool.objects', p.objects, p.name, meta);
    out.add('ceph.pool.read.requests', p.rd, p.name, meta);
    out.add('ceph.pool.write.requests', p.wr, p.name, meta);
    out.add('ceph.pool.read.bytes', p.rd_bytes, p.name, meta);
    out.add('ceph.pool.write.bytes', p.wr_bytes, p.name, meta);
  }
  for (const image of reading.images ?? []) {
    const r = rbdResource(image.pool, image.name);
    const meta = { ...onCluster, pool: image.pool, image: image.name, kind: r.kind, ...r.metadata };
    out.add('ceph.rbd.image.provisioned', image.provisioned, r.resourceId, meta);
    out.add('ceph.rbd.image.used', image.used, r.resourceId, meta);
  }
  return out.samples;
}

/**
 * Ceilometer's radosgw.* samples, per project and per project's bucket
 * (`<project>/<bucket>`). Sizes are RGW's size_kb × 1024, as Ceilometer
 * computes them. Unlike Ceilometer, an empty bucket has its samples (0) and
 * a bucket with several usage categories one sample (their sum), not one per
 * category.
 */
export function rgwSamples(reading: RgwReading, meters: ReadonlyMap<string, CephMeter>, timestamp: string): AgentSample[] {
  const out = new SampleList(meters, timestamp);
  const projects = new Map<string, { uids: Set<string>; ops: number }>();
  for (const uid of reading.users) {
    const project = rgwProject(uid);
    if (project === null) continue;
    const p = projects.get(project) ?? { uids: new Set<string>(), ops: 0 };
    p.uids.add(uid);
    p.ops += reading.ops?.get(uid) ?? 0;
    projects.set(project, p);
  }
  for (const [project, p] of projects) {
    const none = {};
    if (reading.buckets) {
      const buckets = reading.buckets.filter((b) => p.uids.has(b.owner));
      out.add('radosgw.objects', buckets.reduce((n, b) => n + b.objects, 0), project, none, project);
      out.add('radosgw.objects.size', buckets.reduce((n, b) => n + b.sizeKb, 0) * 1024, project, none, project);
      out.add('radosgw.objects.containers', buckets.length, project, none, project);
      for (const b of buckets) {
        out.add('radosgw.containers.objects', b.objects, `${project}/${b.name}`, none, project);
        out.add('radosgw.containers.objects.size', b.sizeKb * 1024, `${project}/${b.name}`, none, project);
      }
    }
    if (reading.ops) out.add('radosgw.api.request', p.ops, project, none, project);
  }
  return out.samples;
}
