/** What one or more projects hold and use: instances, vCPUs, memory, volumes, object storage, traffic. */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { graph, labelVariable, newDashboard, row, stat, table, vmName } from './panels.js';

const P = 'project=~"$project"';

export function projectUsage(): Dashboard {
  return newDashboard('tally-project-usage', 'OpenStack / Project usage', 'Per project: instances and their allocation, CPU and memory use, disk and network traffic, volumes and object storage.')
    .withVariable(labelVariable('project', 'Project', 'label_values({__name__=~"ceilometer_.+"}, project)', { includeAll: true }))
    .withRow(row('Allocation'))
    .withPanel(stat('Instances', 'short', `count(ceilometer_vcpus{${P}})`))
    .withPanel(stat('vCPUs', 'short', `sum(ceilometer_vcpus{${P}})`))
    .withPanel(stat('Memory', 'mbytes', `sum(ceilometer_memory{${P}})`))
    .withPanel(stat('Volumes', 'gbytes', `sum(ceilometer_volume_size{${P}})`))
    .withPanel(stat('Object storage', 'bytes', `sum(ceilometer_radosgw_objects_size{${P}})`))
    .withPanel(stat('Buckets', 'short', `sum(ceilometer_radosgw_objects_containers{${P}})`))
    .withPanel(graph('vCPUs by project', 'short', [{ expr: `sum by (project) (ceilometer_vcpus{${P}})`, legend: '{{project}}' }]))
    .withPanel(graph('Volume storage by project', 'gbytes', [{ expr: `sum by (project) (ceilometer_volume_size{${P}})`, legend: '{{project}}' }]))
    .withRow(row('Use'))
    .withPanel(graph('CPU by instance (cores)', 'short', [{ expr: vmName(`rate(ceilometer_cpu{${P}}[$__rate_interval]) / 1e9`), legend: '{{vm_name}}' }]))
    .withPanel(graph('Memory used by instance', 'mbytes', [{ expr: vmName(`ceilometer_memory_usage{${P}}`), legend: '{{vm_name}}' }]))
    .withPanel(
      graph('Network traffic by project', 'Bps', [
        { expr: `sum by (project) (rate(ceilometer_network_incoming_bytes{${P}}[$__rate_interval]))`, legend: '{{project}} received' },
        { expr: `sum by (project) (rate(ceilometer_network_outgoing_bytes{${P}}[$__rate_interval]))`, legend: '{{project}} sent' },
      ]),
    )
    .withPanel(
      graph('Disk traffic by project', 'Bps', [
        { expr: `sum by (project) (rate(ceilometer_disk_device_read_bytes{${P}}[$__rate_interval]))`, legend: '{{project}} read' },
        { expr: `sum by (project) (rate(ceilometer_disk_device_write_bytes{${P}}[$__rate_interval]))`, legend: '{{project}} written' },
      ]),
    )
    .withPanel(table('Instances', `max by (project, resource, resource_name, flavor_name, vm_instance) (ceilometer_vcpus{${P}})`))
    .build();
}
