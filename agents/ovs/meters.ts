/**
 * Ceilometer 19's switch port meters (ceilometer/network/statistics/port.py)
 * and the Open vSwitch Interface statistic each one reads.
 *
 * `switch.port.uptime` is not produced: OVSDB records no port age.
 */
import type { CounterType } from '../sample.js';

export interface PortMeter {
  readonly name: string;
  readonly type: CounterType;
  readonly unit: string;
  /** the key of Interface.statistics, or null for `switch.port` (1 per port) */
  readonly statistic: string | null;
}

export const PORT_METERS: readonly PortMeter[] = [
  { name: 'switch.port', type: 'gauge', unit: 'port', statistic: null },
  { name: 'switch.port.receive.packets', type: 'cumulative', unit: 'packet', statistic: 'rx_packets' },
  { name: 'switch.port.transmit.packets', type: 'cumulative', unit: 'packet', statistic: 'tx_packets' },
  { name: 'switch.port.receive.bytes', type: 'cumulative', unit: 'B', statistic: 'rx_bytes' },
  { name: 'switch.port.transmit.bytes', type: 'cumulative', unit: 'B', statistic: 'tx_bytes' },
  { name: 'switch.port.receive.drops', type: 'cumulative', unit: 'packet', statistic: 'rx_dropped' },
  { name: 'switch.port.transmit.drops', type: 'cumulative', unit: 'packet', statistic: 'tx_dropped' },
  { name: 'switch.port.receive.errors', type: 'cumulative', unit: 'packet', statistic: 'rx_errors' },
  { name: 'switch.port.transmit.errors', type: 'cumulative', unit: 'packet', statistic: 'tx_errors' },
  { name: 'switch.port.receive.frame_error', type: 'cumulative', unit: 'packet', statistic: 'rx_frame_err' },
  { name: 'switch.port.receive.overrun_error', type: 'cumulative', unit: 'packet', statistic: 'rx_over_err' },
  { name: 'switch.port.receive.crc_error', type: 'cumulative', unit: 'packet', statistic: 'rx_crc_err' },
  { name: 'switch.port.collision.count', type: 'cumulative', unit: 'packet', statistic: 'collisions' },
];
