/**
 * The switch ports of a node as OVSDB describes them, read in one transaction:
 * the bridges (datapath id, ports), the ports (their interfaces) and the
 * interfaces (number, counters, Neutron/Nova ties), joined by uuid here.
 */
import { integerMap, optionalInteger, optionalString, stringMap, uuidOf, uuidSet } from './ovsdb-datum.js';
import type { OvsdbOperation, OvsdbOperationResult, OvsdbRow } from './ovsdb-types.js';

export const OVSDB_DATABASE = 'Open_vSwitch';

/** The operations of the one `transact` a poll makes; their results come back in this order. */
export const SWITCH_PORTS_QUERY: readonly OvsdbOperation[] = [
  { op: 'select', table: 'Bridge', where: [], columns: ['name', 'datapath_id', 'ports'] },
  { op: 'select', table: 'Port', where: [], columns: ['_uuid', 'interfaces'] },
  {
    op: 'select',
    table: 'Interface',
    where: [],
    columns: ['_uuid', 'name', 'type', 'ofport', 'statistics', 'external_ids', 'link_state', 'admin_state', 'mac_in_use'],
  },
];

export interface SwitchPort {
  /** the interface's name: `tap…`, `qvo…`, `br-int`, … */
  readonly name: string;
  /** the interface type: '' (a system device), `internal`, `patch`, `vxlan`, … */
  readonly type: string;
  /** its OpenFlow port number on the bridge */
  readonly ofport: number;
  readonly bridge: string;
  /** the bridge's datapath id, 16 hex digits as OVSDB stores it */
  readonly datapathId: string;
  readonly statistics: ReadonlyMap<string, number>;
  readonly externalIds: ReadonlyMap<string, string>;
  readonly linkState: string | null;
  readonly adminState: string | null;
  readonly macInUse: string | null;
}

function rowsOf(results: readonly OvsdbOperationResult[], index: number): readonly OvsdbRow[] {
  const rows = results[index]?.rows;
  if (!Array.isArray(rows)) throw new Error(`OVSDB select on ${String(SWITCH_PORTS_QUERY[index].table)} returned no rows member`);
  return rows;
}

/**
 * The interfaces attached to a bridge and live on its datapath. An interface
 * without an OpenFlow number (not yet attached, or -1: vswitchd failed to add
 * it) or on a bridge without a datapath id (vswitchd not running) has no
 * identity as a switch port and is left out.
 */
export function readSwitchPorts(results: readonly OvsdbOperationResult[]): SwitchPort[] {
  const bridgeOfPort = new Map<string, { name: string; datapathId: string | null }>();
  for (const row of rowsOf(results, 0)) {
    const bridge = { name: String(row.name), datapathId: optionalString(row.datapath_id) };
    for (const port of uuidSet(row.ports)) bridgeOfPort.set(port, bridge);
  }
  const bridgeOfInterface = new Map<string, { name: string; datapathId: string | null }>();
  for (const row of rowsOf(results, 1)) {
    const bridge = bridgeOfPort.get(uuidOf(row._uuid) ?? '');
    if (bridge === undefined) continue;
    for (const iface of uuidSet(row.interfaces)) bridgeOfInterface.set(iface, bridge);
  }
  const ports: SwitchPort[] = [];
  for (const row of rowsOf(results, 2)) {
    const bridge = bridgeOfInterface.get(uuidOf(row._uuid) ?? '');
    const ofport = optionalInteger(row.ofport);
    if (bridge === undefined || bridge.datapathId === null || ofport === null || ofport < 0) continue;
    ports.push({
      name: String(row.name),
      type: typeof row.type === 'string' ? row.type : '',
      ofport,
      bridge: bridge.name,
      datapathId: bridge.datapathId,
      statistics: integerMap(row.statistics),
      externalIds: stringMap(row.external_ids),
      linkState: optionalString(row.link_state),
      adminState: optionalString(row.admin_state),
      macInUse: optionalString(row.mac_in_use),
    });
  }
  return ports.sort((a, b) => (a.bridge < b.bridge ? -1 : a.bridge > b.bridge ? 1 : a.ofport - b.ofport));
}
