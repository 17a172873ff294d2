/**
 * Ceph: cluster capacity and health, pools, OSDs, RBD images (`ceph.*`,
 * from tally agent's /metrics) and RGW object storage per project
 * (Ceilometer's `radosgw.*`).
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { graph, labelVariable, newDashboard, row, stat, valueText } from './panels.js';

const POOL = 'resource=~"$pool"';
const HEALTH = valueText({ 0: ['HEALTH_OK', 'green'], 1: ['HEALTH_WARN', 'orange'], 2: ['HEALTH_ERR', 'red'] });

export function ceph(): Dashboard {
  return newDashboard('tally-ceph', 'OpenStack / Ceph', 'Ceph cluster health and capacity, pools, OSD latency and RBD images, and RGW object storage per project.')
    .withVariable(labelVariable('pool', 'Pool', 'label_values(ceilometer_ceph_pool_bytes_stored, resource)', { includeAll: true }))
    .withRow(row('Cluster'))
    .withPanel(stat('Health', 'none', 'ceilometer_ceph_cluster_health', { mappings: HEALTH }))
    .withPanel(stat('Raw capacity used', 'percent', '100 * ceilometer_ceph_cluster_bytes_used / on (resource) ceilometer_ceph_cluster_bytes_total'))
    .withPanel(stat('Raw capacity', 'bytes', 'sum(ceilometer_ceph_cluster_bytes_total)'))
    .withPanel(stat('OSDs up', 'short', 'sum(ceilometer_ceph_osd_up)'))
    .withPanel(stat('OSDs in', 'short', 'sum(ceilometer_ceph_osd_in)'))
    .withPanel(stat('RGW buckets', 'short', 'sum(ceilometer_radosgw_objects_containers)'))
    .withPanel(
      graph('Raw capacity', 'bytes', [
        { expr: 'ceilometer_ceph_cluster_bytes_total', legend: 'total' },
        { expr: 'ceilometer_ceph_cluster_bytes_used', legend: 'used' },
        { expr: 'ceilometer_ceph_cluster_bytes_available', legend: 'available' },
      ]),
    )
    .withPanel(
      graph('OSD latency', 'ms', [
        { expr: 'ceilometer_ceph_osd_commit_latency', legend: '{{resource}} commit' },
        { expr: 'ceilometer_ceph_osd_apply_latency', legend: '{{resource}} apply' },
      ]),
    )
    .withRow(row('Pools'))
    .withPanel(graph('Stored by clients', 'bytes', [{ expr: `ceilometer_ceph_pool_bytes_stored{${POOL}}`, legend: '{{resource}}' }]))
    .withPanel(graph('Objects', 'short', [{ expr: `ceilometer_ceph_pool_objects{${POOL}}`, legend: '{{resource}}' }]))
    .withPanel(
      graph('Operations', 'iops', [
        { expr: `rate(ceilometer_ceph_pool_read_requests{${POOL}}[$__rate_interval])`, legend: '{{resource}} reads' },
        { expr: `rate(ceilometer_ceph_pool_write_requests{${POOL}}[$__rate_interval])`, legend: '{{resource}} writes' },
      ]),
    )
    .withPanel(
      graph('Throughput', 'Bps', [
        { expr: `rate(ceilometer_ceph_pool_read_bytes{${POOL}}[$__rate_interval])`, legend: '{{resource}} read' },
        { expr: `rate(ceilometer_ceph_pool_write_bytes{${POOL}}[$__rate_interval])`, legend: '{{resource}} written' },
      ]),
    )
    .withPanel(graph('Largest RBD images (used)', 'bytes', [{ expr: 'topk(10, ceilometer_ceph_rbd_image_used)', legend: '{{resource}}' }]))
    .withRow(row('Object storage (RGW)'))
    .withPanel(graph('Stored by project', 'bytes', [{ expr: 'sum by (project) (ceilometer_radosgw_objects_size)', legend: '{{project}}' }]))
    .withPanel(graph('Objects by project', 'short', [{ expr: 'sum by (project) (ceilometer_radosgw_objects)', legend: '{{project}}' }]))
    .withPanel(graph('API requests by project', 'reqps', [{ expr: 'sum by (project) (rate(ceilometer_radosgw_api_request[$__rate_interval]))', legend: '{{project}}' }]))
    .build();
}
