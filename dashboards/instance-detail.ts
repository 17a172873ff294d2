/** One or more instances in detail: state, CPU, memory, each disk and each vNIC. */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { POWER_STATES, graph, labelVariable, newDashboard, row, stat } from './panels.js';

const I = 'resource=~"$instance"';
// disks and vNICs name their instance in the `instance_id` attribute
const D = 'instance_id=~"$instance"';
const rate = (meter: string, sel: string): string => `rate(ceilometer_${meter}{${sel}}[$__rate_interval])`;

export function instanceDetail(): Dashboard {
  return newDashboard('tally-instance', 'OpenStack / Instance', 'One instance (or several): power state, CPU and memory, each disk and vNIC, from the libvirt meters of tally agent or Ceilometer.')
    .withVariable(labelVariable('project', 'Project', 'label_values(ceilometer_cpu, project)', { includeAll: true }))
    .withVariable(labelVariable('instance', 'Instance', 'label_values(ceilometer_cpu{project=~"$project"}, resource)'))
    .withRow(row('Instance'))
    .withPanel(stat('Power state', 'none', `ceilometer_power_state{${I}}`, { mappings: POWER_STATES, legend: '{{resource_name}}', width: 8 }))
    .withPanel(stat('vCPUs', 'short', `ceilometer_vcpus{${I}}`, { legend: '{{resource_name}}', width: 8 }))
    .withPanel(stat('Memory', 'mbytes', `ceilometer_memory{${I}}`, { legend: '{{resource_name}}', width: 8 }))
    .withPanel(
      graph('CPU utilisation', 'percent', [{ expr: `100 * ${rate('cpu', I)} / 1e9 / on (resource) ceilometer_vcpus{${I}}`, legend: '{{resource_name}}' }], {
        description: 'CPU time used per second, over the vCPUs the instance has',
      }),
    )
    .withPanel(
      graph('Memory', 'mbytes', [
        { expr: `ceilometer_memory{${I}}`, legend: '{{resource_name}} allocated' },
        { expr: `ceilometer_memory_usage{${I}}`, legend: '{{resource_name}} used' },
        { expr: `ceilometer_memory_resident{${I}}`, legend: '{{resource_name}} resident on the host' },
      ]),
    )
    .withRow(row('Disks'))
    .withPanel(
      graph('Disk throughput', 'Bps', [
        { expr: rate('disk_device_read_bytes', D), legend: '{{resource}} read' },
        { expr: rate('disk_device_write_bytes', D), legend: '{{resource}} written' },
      ]),
    )
    .withPanel(
      graph('Disk operations', 'iops', [
        { expr: rate('disk_device_read_requests', D), legend: '{{resource}} reads' },
        { expr: rate('disk_device_write_requests', D), legend: '{{resource}} writes' },
      ]),
    )
    .withPanel(
      graph('Disk latency per operation', 'ns', [
        { expr: `${rate('disk_device_read_latency', D)} / on (resource) ${rate('disk_device_read_requests', D)}`, legend: '{{resource}} read' },
        { expr: `${rate('disk_device_write_latency', D)} / on (resource) ${rate('disk_device_write_requests', D)}`, legend: '{{resource}} write' },
      ]),
    )
    .withPanel(
      graph('Disk space', 'bytes', [
        { expr: `ceilometer_disk_device_capacity{${D}}`, legend: '{{resource}} capacity' },
        { expr: `ceilometer_disk_device_usage{${D}}`, legend: '{{resource}} used' },
      ]),
    )
    .withRow(row('Network'))
    .withPanel(
      graph('vNIC traffic', 'Bps', [
        { expr: rate('network_incoming_bytes', D), legend: '{{resource_name}} received' },
        { expr: rate('network_outgoing_bytes', D), legend: '{{resource_name}} sent' },
      ]),
    )
    .withPanel(
      graph('vNIC packets dropped and in error', 'pps', [
        { expr: rate('network_incoming_packets_drop', D), legend: '{{resource_name}} dropped in' },
        { expr: rate('network_outgoing_packets_drop', D), legend: '{{resource_name}} dropped out' },
        { expr: rate('network_incoming_packets_error', D), legend: '{{resource_name}} errors in' },
        { expr: rate('network_outgoing_packets_error', D), legend: '{{resource_name}} errors out' },
      ]),
    )
    .build();
}
