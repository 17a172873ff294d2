/**
 * Which resource a switch port's samples belong to, and what its metadata
 * says about it.
 *
 * The id follows Ceilometer's OpenDaylight v2 driver, the source the
 * `switch_port` resource type of gnocchi_resources.yaml was made for:
 * `<datapath id in decimal>:<OpenFlow port number>`, with metadata `switch`,
 * `port_number_on_switch`, `neutron_port_id` and `controller`, the type's
 * attributes. The same port seen through OpenDaylight or through OVSDB thus
 * keeps one resource. Nova's and Neutron's ties, which the OVS agents write
 * into Interface.external_ids, are added.
 */
import type { SwitchPort } from './switch-ports.js';

/** what `controller` says: the stats came from the switch's own database */
export const CONTROLLER = 'OpenvSwitch';

/** OVSDB's 16 hex digits as the decimal OpenDaylight reports (flow_datapath_id) */
export function datapathIdDecimal(datapathId: string): string {
  return /^[0-9a-fA-F]{1,16}$/.test(datapathId) ? BigInt(`0x${datapathId}`).toString(10) : datapathId;
}

export function switchPortResourceId(port: SwitchPort): string {
  return `${datapathIdDecimal(port.datapathId)}:${port.ofport}`;
}

export function switchPortMetadata(port: SwitchPort): Readonly<Record<string, unknown>> {
  const meta: Record<string, unknown> = {
    controller: CONTROLLER,
    switch: datapathIdDecimal(port.datapathId),
    port_number_on_switch: port.ofport,
    bridge: port.bridge,
    name: port.name,
    type: port.type,
  };
  // written by Nova's os-vif / Neutron's OVS agent on the ports of instances
  const ties: readonly (readonly [string, string])[] = [
    ['iface-id', 'neutron_port_id'],
    ['vm-uuid', 'instance_id'],
    ['attached-mac', 'mac'],
    ['iface-status', 'iface_status'],
  ];
  for (const [externalId, key] of ties) {
    const value = port.externalIds.get(externalId);
    if (value !== undefined) meta[key] = value;
  }
  if (port.linkState !== null) meta.link_state = port.linkState;
  if (port.adminState !== null) meta.admin_state = port.adminState;
  if (port.macInUse !== null) meta.mac_in_use = port.macInUse;
  return meta;
}
