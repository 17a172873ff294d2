/**
 * Compute hosts: the instances each runs, what they are allocated and use,
 * and the health of the node's `tally agent`. Instances carry their host in
 * `vm_instance`; disks and vNICs do not, so their traffic is joined to the
 * host through their `instance_id`.
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { POWER_STATES, graph, labelVariable, newDashboard, row, stat, vmName } from './panels.js';

const H = 'vm_instance=~"$host"';
/** 1 per instance on the chosen hosts, labelled with its id and host: the right side of a join */
const ON_HOST = `group by (instance_id, vm_instance) (label_replace(ceilometer_vcpus{${H}}, "instance_id", "$1", "resource", "(.*)"))`;
const perHost = (meter: string): string => `sum by (vm_instance) (rate(ceilometer_${meter}[$__rate_interval]) * on (instance_id) group_left (vm_instance) ${ON_HOST})`;

export function computeNode(): Dashboard {
  return newDashboard('tally-compute-node', 'OpenStack / Compute node', 'Per compute host: instances and their state, vCPUs and memory allocated and used, disk and network traffic, and the node agent.')
    .withVariable(labelVariable('host', 'Compute host', 'label_values(ceilometer_vcpus, vm_instance)', { includeAll: true }))
    .withRow(row('Instances'))
    .withPanel(stat('Instances', 'short', `count(ceilometer_vcpus{${H}})`))
    .withPanel(stat('Running', 'short', `count(ceilometer_power_state{${H}} == 1)`))
    .withPanel(stat('vCPUs allocated', 'short', `sum(ceilometer_vcpus{${H}})`))
    .withPanel(stat('Power state', 'none', vmName(`ceilometer_power_state{${H}}`), { mappings: POWER_STATES, legend: '{{vm_name}}', width: 24 }))
    .withRow(row('Allocation and use'))
    .withPanel(graph('vCPUs allocated', 'short', [{ expr: `sum by (vm_instance) (ceilometer_vcpus{${H}})`, legend: '{{vm_instance}}' }]))
    .withPanel(graph('CPU used (cores)', 'short', [{ expr: `sum by (vm_instance) (rate(ceilometer_cpu{${H}}[$__rate_interval])) / 1e9`, legend: '{{vm_instance}}' }]))
    .withPanel(
      graph('Memory', 'mbytes', [
        { expr: `sum by (vm_instance) (ceilometer_memory{${H}})`, legend: '{{vm_instance}} allocated' },
        { expr: `sum by (vm_instance) (ceilometer_memory_usage{${H}})`, legend: '{{vm_instance}} used' },
      ]),
    )
    .withPanel(graph('Busiest instances (cores)', 'short', [{ expr: `topk(5, ${vmName(`rate(ceilometer_cpu{${H}}[$__rate_interval])`)} / 1e9)`, legend: '{{vm_name}}' }]))
    .withPanel(
      graph('Disk traffic', 'Bps', [
        { expr: perHost('disk_device_read_bytes'), legend: '{{vm_instance}} read' },
        { expr: perHost('disk_device_write_bytes'), legend: '{{vm_instance}} written' },
      ]),
    )
    .withPanel(
      graph('Network traffic', 'Bps', [
        { expr: perHost('network_incoming_bytes'), legend: '{{vm_instance}} received' },
        { expr: perHost('network_outgoing_bytes'), legend: '{{vm_instance}} sent' },
      ]),
    )
    .withRow(row('tally agent'))
    .withPanel(graph('Sources up', 'short', [{ expr: 'tally_agent_source_up', legend: '{{instance}} {{source}}/{{sampler}}' }], { width: 8 }))
    .withPanel(graph('Poll duration', 's', [{ expr: 'tally_agent_poll_duration_seconds', legend: '{{instance}} {{source}}/{{sampler}}' }], { width: 8 }))
    .withPanel(graph('Samples per poll', 'short', [{ expr: 'tally_agent_poll_samples', legend: '{{instance}} {{source}}/{{sampler}}' }], { width: 8 }))
    .build();
}
