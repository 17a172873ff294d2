/**
 * What a domain's XML (`virsh dumpxml`) tells about the instance: Nova's
 * metadata block (display name, flavor, owner, image), its disks and its
 * vNICs, read as Ceilometer's libvirt discovery and inspector read them.
 */
import { XMLParser } from 'fast-xml-parser';

export interface Flavor {
  readonly name: string;
  readonly vcpus: number | null;
  readonly ram: number | null;
  readonly disk: number | null;
  readonly ephemeral: number | null;
  readonly swap: number | null;
}

/** Nova's `<nova:instance>` metadata (namespaces nova/1.1 or 1.0). */
export interface NovaInstance {
  readonly displayName: string;
  readonly userId: string;
  readonly projectId: string;
  readonly flavor: Flavor;
  readonly imageId: string | null;
}

export interface DomainDisk {
  readonly dev: string;
}

export interface DomainNic {
  readonly dev: string;
  readonly mac: string;
  /** the nwfilter's name: Ceilometer's resource id of the vNIC when present */
  readonly fref: string | null;
  readonly parameters: Readonly<Record<string, string | null>>;
}

export interface DomainInfo {
  /** libvirt's name: `instance-0000002a` */
  readonly name: string;
  readonly uuid: string;
  readonly osType: string | null;
  readonly arch: string | null;
  /** null: not an instance Nova made (Ceilometer polls only those) */
  readonly nova: NovaInstance | null;
  /** disks with a source (an empty CD-ROM drive has none), in the XML's order */
  readonly disks: readonly DomainDisk[];
  readonly nics: readonly DomainNic[];
}

type Node = Record<string, unknown>;

const ARRAYS = new Set(['domain', 'domain.devices.disk', 'domain.devices.interface', 'domain.devices.interface.filterref.parameter']);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  // lists wherever the XML may repeat an element (not `disk` in Nova's flavor, a single number)
  isArray: (_name, jpath) => ARRAYS.has(String(jpath)),
});

const node = (v: unknown): Node | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Node) : undefined);
const list = (v: unknown): Node[] => (Array.isArray(v) ? v.map(node).filter((n): n is Node => n !== undefined) : []);
const text = (v: unknown): string | null => {
  if (typeof v === 'string') return v;
  const n = node(v);
  return n && typeof n['#text'] === 'string' ? n['#text'] : null;
};
const attr = (n: Node | undefined, name: string): string | null => (n && typeof n[`@${name}`] === 'string' ? (n[`@${name}`] as string) : null);
/** Ceilometer's _safe_find_int: the element's integer, or null */
const int = (v: unknown): number | null => {
  const t = text(v);
  if (t === null || !/^\s*-?\d+\s*$/.test(t)) return null;
  return Number(t);
};

function novaOf(metadata: Node | undefined): NovaInstance | null {
  const instance = node(metadata?.instance);
  if (!instance) return null;
  const flavor = node(instance.flavor);
  const owner = node(instance.owner);
  const user = attr(node(owner?.user), 'uuid');
  const project = attr(node(owner?.project), 'uuid');
  const displayName = text(instance.name);
  const flavorName = attr(flavor, 'name');
  // as Ceilometer: an instance whose metadata lacks these is not polled
  if (!flavor || user === null || project === null || displayName === null || flavorName === null) return null;
  const root = node(instance.root);
  return {
    displayName,
    userId: user,
    projectId: project,
    flavor: { name: flavorName, vcpus: int(flavor.vcpus), ram: int(flavor.memory), disk: int(flavor.disk), ephemeral: int(flavor.ephemeral), swap: int(flavor.swap) },
    imageId: root && attr(root, 'type') === 'image' ? attr(root, 'uuid') : null,
  };
}

/** Every domain of a `<domain>` document (or of several, as a round of `dumpxml` prints them one after the other). */
export function parseDomains(xml: string): DomainInfo[] {
  const doc = parser.parse(xml) as Node;
  return list(doc.domain).map((d) => {
    const os = node(d.os);
    const type = node(os?.type) ?? (typeof os?.type === 'string' ? { '#text': os.type } : undefined);
    const devices = node(d.devices);
    const disks: DomainDisk[] = [];
    for (const disk of list(devices?.disk)) {
      const dev = attr(node(disk.target), 'dev');
      if (dev && disk.source !== undefined) disks.push({ dev });
    }
    const nics: DomainNic[] = [];
    for (const iface of list(devices?.interface)) {
      const dev = attr(node(iface.target), 'dev');
      const mac = attr(node(iface.mac), 'address');
      if (!dev || !mac) continue;
      const filter = node(iface.filterref);
      const parameters: Record<string, string | null> = {};
      for (const p of list(filter?.parameter)) {
        const name = attr(p, 'name');
        if (name) parameters[name.toLowerCase()] = attr(p, 'value');
      }
      parameters.interfaceid = attr(node(node(iface.virtualport)?.parameters), 'interfaceid');
      parameters.bridge = attr(node(iface.source), 'bridge');
      nics.push({ dev, mac, fref: attr(filter, 'filter'), parameters });
    }
    return {
      name: text(d.name) ?? '',
      uuid: text(d.uuid) ?? '',
      osType: text(type),
      arch: attr(type, 'arch'),
      nova: novaOf(node(d.metadata)),
      disks,
      nics,
    };
  });
}
