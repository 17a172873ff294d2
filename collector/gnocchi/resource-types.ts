/**
 * The resource types Ceilometer's publisher writes to, created on first start
 * as `ceilometer-upgrade` creates them (ceilometer/gnocchi_client.py): the
 * initial types, then the schema changes in order. Each step is applied only
 * when missing, so a start against an index Ceilometer already set up, or set
 * up by an earlier start, changes nothing.
 */
import { NoSuchResourceType, ResourceTypeAlreadyExists } from '../../tsdb/index/errors.js';
import type { Index } from '../../tsdb/index/index.js';
import type { AttributeDefinition, AttributeValue } from '../../tsdb/index/resource-type-schema.js';

type Attrs = Readonly<Record<string, AttributeDefinition>>;

const str = (required: boolean, max = 255): AttributeDefinition => ({ type: 'string', required, min_length: 0, max_length: max });
const uuid = (required: boolean): AttributeDefinition => ({ type: 'uuid', required });
const datetime: AttributeDefinition = { type: 'datetime', required: false };

/** gnocchi_client.resources_initial */
const INITIAL: Readonly<Record<string, Attrs>> = {
  image: { name: str(true), container_format: str(true), disk_format: str(true) },
  instance: { flavor_id: str(true), image_ref: str(false), host: str(true), display_name: str(true), server_group: str(false) },
  instance_disk: { name: str(true), instance_id: uuid(true) },
  instance_network_interface: { name: str(true), instance_id: uuid(true) },
  volume: { display_name: str(false) },
  swift_account: {},
  ceph_account: {},
  network: {},
  identity: {},
  ipmi: {},
  stack: {},
  host: { host_name: str(true) },
  host_network_interface: { host_name: str(true), device_name: str(false) },
  host_disk: { host_name: str(true), device_name: str(false) },
};

type Step =
  | { readonly create: string; readonly attributes: Attrs }
  | { readonly update: string; readonly add: readonly { readonly name: string; readonly definition: AttributeDefinition; readonly fill?: AttributeValue }[] };

/** gnocchi_client.resources_update_operations, in order */
const STEPS: readonly Step[] = [
  { update: 'volume', add: [{ name: 'volume_type', definition: str(false) }] },
  { update: 'instance', add: [{ name: 'flavor_name', definition: str(true), fill: '' }] },
  { create: 'nova_compute', attributes: { host_name: str(true) } },
  { create: 'manila_share', attributes: { name: str(false), host: str(true), protocol: str(false), availability_zone: str(false), status: str(true) } },
  { create: 'switch', attributes: { controller: str(true) } },
  {
    create: 'switch_port',
    attributes: {
      switch: str(true, 64),
      port_number_on_switch: { type: 'number', required: false, min: 0, max: 4294967295 },
      neutron_port_id: str(false),
      controller: str(true),
    },
  },
  { create: 'port', attributes: { controller: str(true) } },
  { create: 'switch_table', attributes: { switch: str(true, 64), controller: str(true) } },
  { create: 'volume_provider', attributes: {} },
  { create: 'volume_provider_pool', attributes: { provider: str(true) } },
  { create: 'ipmi_sensor', attributes: { node: str(true) } },
  {
    update: 'instance',
    add: [
      { name: 'launched_at', definition: datetime },
      { name: 'created_at', definition: datetime },
      { name: 'deleted_at', definition: datetime },
    ],
  },
  { update: 'volume', add: [{ name: 'image_id', definition: uuid(false) }, { name: 'instance_id', definition: uuid(false) }] },
  { update: 'instance', add: [{ name: 'availability_zone', definition: str(false) }] },
  // tally's own, for the agent's Ceph meters (collector/data/agent_resources.yaml)
  { create: 'ceph_cluster', attributes: {} },
  { create: 'ceph_osd', attributes: { cluster_fsid: str(false) } },
  { create: 'ceph_pool', attributes: { cluster_fsid: str(false) } },
  { create: 'ceph_rbd_image', attributes: { cluster_fsid: str(false), pool: str(false), image: str(false) } },
];

async function createIfMissing(index: Index, name: string, attributes: Attrs): Promise<boolean> {
  try {
    await index.resourceTypes.get(name);
    return false;
  } catch (err) {
    if (!(err instanceof NoSuchResourceType)) throw err;
  }
  try {
    await index.resourceTypes.create(name, attributes);
    return true;
  } catch (err) {
    if (err instanceof ResourceTypeAlreadyExists) return false; // another process made it meanwhile
    throw err;
  }
}

/** Creates what is missing; returns the names of the types it created or changed. */
export async function ensureCeilometerResourceTypes(index: Index): Promise<string[]> {
  const changed = new Set<string>();
  for (const [name, attributes] of Object.entries(INITIAL)) if (await createIfMissing(index, name, attributes)) changed.add(name);
  for (const step of STEPS) {
    if ('create' in step) {
      if (await createIfMissing(index, step.create, step.attributes)) changed.add(step.create);
      continue;
    }
    const type = await index.resourceTypes.get(step.update);
    // as ceilometer-upgrade: the first attribute of a step tells whether the step was applied
    if (step.add[0].name in type.attributes) continue;
    await index.resourceTypes.update(step.update, step.add, []);
    changed.add(step.update);
  }
  return [...changed];
}
