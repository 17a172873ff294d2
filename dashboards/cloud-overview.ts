/** The whole cloud at a glance: instances, what they are allocated and use, per project and per compute host. */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { graph, newDashboard, row, stat, table, vmName } from './panels.js';

export function cloudOverview(): Dashboard {
  return newDashboard('tally-cloud-overview', 'OpenStack / Cloud overview', 'Instances, their allocation and use, per project and per compute host, from the Ceilometer meters tally stores.')
    .withRow(row('Now'))
    .withPanel(stat('Instances', 'short', 'count(ceilometer_vcpus)'))
    .withPanel(stat('Running instances', 'short', 'count(ceilometer_power_state == 1)'))
    .withPanel(stat('Projects with instances', 'short', 'count(count by (project) (ceilometer_vcpus))'))
    .withPanel(stat('vCPUs allocated', 'short', 'sum(ceilometer_vcpus)'))
    .withPanel(stat('Memory allocated', 'mbytes', 'sum(ceilometer_memory)'))
    .withPanel(stat('Volume storage', 'gbytes', 'sum(ceilometer_volume_size)'))
    .withRow(row('Use'))
    .withPanel(graph('CPU used by project (cores)', 'short', [{ expr: 'sum by (project) (rate(ceilometer_cpu[$__rate_interval])) / 1e9', legend: '{{project}}' }]))
    .withPanel(graph('vCPUs allocated by compute host', 'short', [{ expr: 'sum by (vm_instance) (ceilometer_vcpus)', legend: '{{vm_instance}}' }]))
    .withPanel(
      graph('Instance network traffic', 'Bps', [
        { expr: 'sum(rate(ceilometer_network_incoming_bytes[$__rate_interval]))', legend: 'received' },
        { expr: 'sum(rate(ceilometer_network_outgoing_bytes[$__rate_interval]))', legend: 'sent' },
      ]),
    )
    .withPanel(
      graph('Instance disk traffic', 'Bps', [
        { expr: 'sum(rate(ceilometer_disk_device_read_bytes[$__rate_interval]))', legend: 'read' },
        { expr: 'sum(rate(ceilometer_disk_device_write_bytes[$__rate_interval]))', legend: 'written' },
      ]),
    )
    .withPanel(table('Busiest instances (CPU cores used)', `topk(10, ${vmName('rate(ceilometer_cpu[$__rate_interval])')} / 1e9)`))
    .build();
}
