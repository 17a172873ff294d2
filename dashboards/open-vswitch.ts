/**
 * Open vSwitch ports, from the `switch.port.*` meters. A port's resource id
 * is `<datapath id>:<OpenFlow port>`: the switch is read from it, as the
 * `switch` label of these series holds the meter's third segment.
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { graph, labelVariable, newDashboard, row, stat, table } from './panels.js';

const S = 'resource=~"$switch:.*"';
const rate = (meter: string): string => `rate(ceilometer_switch_port_${meter}{${S}}[$__rate_interval])`;
const LEGEND = '{{resource}} {{neutron_port_id}}';

export function openVswitch(): Dashboard {
  return newDashboard('tally-open-vswitch', 'OpenStack / Open vSwitch', 'Switch ports of the compute and network nodes: traffic, packets, drops and errors per port and per switch.')
    .withVariable(labelVariable('switch', 'Switch (datapath id)', 'label_values(ceilometer_switch_port, resource)', { includeAll: true, regex: '/^(.*):[0-9]+$/' }))
    .withRow(row('Switches'))
    .withPanel(stat('Ports', 'short', `count(ceilometer_switch_port{${S}})`, { width: 8 }))
    .withPanel(stat('Ports with Neutron ports', 'short', `count(ceilometer_switch_port{${S}, neutron_port_id!=""})`, { width: 8 }))
    .withPanel(stat('Drops per second', 'pps', `sum(${rate('receive_drops')}) + sum(${rate('transmit_drops')})`, { width: 8 }))
    .withPanel(
      graph('Traffic per switch', 'Bps', [
        { expr: `sum by (datapath) (label_replace(${rate('receive_bytes')}, "datapath", "$1", "resource", "(.*):.*"))`, legend: '{{datapath}} received' },
        { expr: `sum by (datapath) (label_replace(${rate('transmit_bytes')}, "datapath", "$1", "resource", "(.*):.*"))`, legend: '{{datapath}} sent' },
      ]),
    )
    .withPanel(table('Busiest ports (bytes per second)', `topk(10, ${rate('receive_bytes')} + on (resource) ${rate('transmit_bytes')})`, { width: 12 }))
    .withRow(row('Ports'))
    .withPanel(graph('Bytes received', 'Bps', [{ expr: rate('receive_bytes'), legend: LEGEND }]))
    .withPanel(graph('Bytes sent', 'Bps', [{ expr: rate('transmit_bytes'), legend: LEGEND }]))
    .withPanel(
      graph('Packets', 'pps', [
        { expr: rate('receive_packets'), legend: `${LEGEND} received` },
        { expr: rate('transmit_packets'), legend: `${LEGEND} sent` },
      ]),
    )
    .withPanel(
      graph('Drops and errors', 'pps', [
        { expr: rate('receive_drops'), legend: `${LEGEND} dropped in` },
        { expr: rate('transmit_drops'), legend: `${LEGEND} dropped out` },
        { expr: rate('receive_errors'), legend: `${LEGEND} errors in` },
        { expr: rate('transmit_errors'), legend: `${LEGEND} errors out` },
      ]),
    )
    .build();
}
