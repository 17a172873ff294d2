/**
 * OVSDB connection targets in Open vSwitch's own notation (`ovs-vsctl --db=`):
 * `unix:FILE` or `tcp:HOST[:PORT]`, IPv6 hosts in brackets. SSL targets are
 * not supported: a compute node's agent reads the local database.
 */
import type { NetConnectOpts } from 'node:net';

/** OVSDB's IANA port, the default of `tcp:HOST` in Open vSwitch */
export const OVSDB_PORT = 6640;

export const DEFAULT_TARGET = 'unix:/var/run/openvswitch/db.sock';

export function parseTarget(target: string): NetConnectOpts {
  if (target.startsWith('unix:')) {
    const path = target.slice('unix:'.length);
    if (path === '') throw new Error(`OVSDB target ${target}: no socket path`);
    return { path };
  }
  if (target.startsWith('tcp:')) {
    const rest = target.slice('tcp:'.length);
    const m = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d+))?$/.exec(rest);
    if (m === null) throw new Error(`OVSDB target ${target}: expected tcp:HOST[:PORT]`);
    const port = m[3] === undefined ? OVSDB_PORT : Number(m[3]);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`OVSDB target ${target}: bad port`);
    return { host: m[1] ?? m[2], port };
  }
  throw new Error(`OVSDB target ${target}: unsupported, use unix:FILE or tcp:HOST[:PORT]`);
}
