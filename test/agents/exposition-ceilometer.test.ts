/**
 * Ceilometer's exporter names and labels. The first cases are those of
 * Ceilometer's own unit tests (ceilometer/tests/unit/test_prom_exporter.py,
 * master of 2026-07: TestPromExporter.test_gen_labels and
 * test_collect_metrics): the same samples, in the node agent's shape, and
 * the label names, order and values those tests expect. The others pin each
 * rule of prom_exporter.py's _gen_labels that those cases leave out.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type IdentityNames, ceilometerLabels, meterShape } from '../../agents/exposition/ceilometer-labels.js';
import { CeilometerExposition } from '../../agents/exposition/exposition.js';
import type { AgentSample } from '../../agents/sample.js';

const PROJECT = 'd965489b7f894cbda89cd2e25bfd85a0';
const USER = '6e7d71415cd5401cbe103829c9c5dec2';
const INSTANCE = 'e536fff6-b20d-4aa5-ac2f-d15ac8b3af63';
const FLAVOR_ID = '4af9ac72-5787-4f86-8644-0faa87ce7c83';
const HOST_ID = 'e0d297f5df3b62ec73c8d42b';

/** The instance metadata of the upstream samples (test_disk_latency, test_memory_usage). */
const INSTANCE_METADATA = {
  display_name: 'myserver',
  name: 'instance-00000002',
  instance_id: INSTANCE,
  instance_type: 'tiny',
  host: HOST_ID,
  instance_host: 'devstack',
  flavor: { id: FLAVOR_ID, name: 'tiny', vcpus: 1, ram: 512, disk: 1, ephemeral: 0, swap: 0 },
  status: 'active',
  state: 'running',
  task_state: '',
  image: { id: '71860ed5-f66d-43e0-9514-f1d188106284' },
  image_ref: '71860ed5-f66d-43e0-9514-f1d188106284',
  image_ref_url: null,
  architecture: 'x86_64',
  os_type: 'hvm',
  vcpus: 1,
  memory_mb: 512,
  disk_gb: 1,
  ephemeral_gb: 0,
  root_gb: 1,
};

/** upstream test_disk_latency: two polls of one disk, ten seconds apart */
const DISK_LATENCY: AgentSample[] = [132128682, 232128754].map((volume, i) => ({
  name: 'disk.device.read.latency',
  type: 'cumulative',
  unit: 'ns',
  volume,
  user_id: USER,
  project_id: PROJECT,
  resource_id: `${INSTANCE}-vda`,
  timestamp: `2024-06-20T09:32:${i ? 46 : 36}.521082`,
  resource_metadata: { ...INSTANCE_METADATA, disk_name: 'vda', user_metadata: { custom_label: 'custom value' } },
}));

/** upstream test_memory_usage */
const MEMORY_USAGE: AgentSample = {
  name: 'memory.usage',
  type: 'gauge',
  unit: 'MiB',
  volume: 37.98046875,
  user_id: USER,
  project_id: PROJECT,
  resource_id: INSTANCE,
  timestamp: '2024-06-20T09:32:36.515823',
  resource_metadata: INSTANCE_METADATA,
};

/** upstream test_image_size: no user, no host, a server group */
const IMAGE_SIZE: AgentSample = {
  name: 'image.size',
  type: 'gauge',
  unit: 'B',
  volume: 16344576,
  user_id: null,
  project_id: PROJECT,
  resource_id: 'f9276c96-8a12-432b-96a1-559d70715f97',
  timestamp: '2024-06-20T09:40:17.118871',
  resource_metadata: {
    status: 'active',
    visibility: 'public',
    name: 'cirros2',
    container_format: 'bare',
    created_at: '2024-05-30T11:38:52Z',
    disk_format: 'qcow2',
    updated_at: '2024-05-30T11:38:52Z',
    min_disk: 0,
    protected: false,
    checksum: '7734eb3945297adc90ddc6cebe8bb082',
    min_ram: 0,
    tags: [],
    virtual_size: 117440512,
    user_metadata: { server_group: 'server_group123' },
  },
};

/** test_gen_labels' expected keys and values, in order */
const EXPECTED_LABELS: [AgentSample, [string, string][]][] = [
  [
    DISK_LATENCY[0],
    [
      ['disk', 'read'], ['publisher', 'ceilometer'], ['type', 'device'], ['counter', 'disk.device.read.latency'], ['project', PROJECT], ['user', USER],
      ['unit', 'ns'], ['resource', `${INSTANCE}-vda`], ['vm_instance', HOST_ID], ['resource_name', 'myserver:instance-00000002'], ['server_group', 'none'],
      ['flavor_id', FLAVOR_ID], ['flavor_name', 'tiny'],
    ],
  ],
  [
    MEMORY_USAGE,
    [
      ['memory', INSTANCE], ['publisher', 'ceilometer'], ['type', 'usage'], ['counter', 'memory.usage'], ['project', PROJECT], ['user', USER], ['unit', 'MiB'],
      ['resource', INSTANCE], ['vm_instance', HOST_ID], ['resource_name', 'myserver:instance-00000002'], ['server_group', 'none'], ['flavor_id', FLAVOR_ID],
      ['flavor_name', 'tiny'],
    ],
  ],
  [
    IMAGE_SIZE,
    [
      ['image', 'f9276c96-8a12-432b-96a1-559d70715f97'], ['publisher', 'ceilometer'], ['type', 'size'], ['counter', 'image.size'], ['project', PROJECT],
      ['unit', 'B'], ['resource', 'f9276c96-8a12-432b-96a1-559d70715f97'], ['resource_name', 'cirros2'], ['server_group', 'server_group123'],
    ],
  ],
];

function labelsOf(sample: AgentSample, identity?: IdentityNames): [string, string][] {
  const shape = meterShape(sample.name);
  assert.ok(shape, `${sample.name} has a shape`);
  return Object.entries(ceilometerLabels(sample, shape, identity));
}

const sample = (over: Partial<AgentSample>): AgentSample => ({ ...MEMORY_USAGE, ...over });

describe("Ceilometer's own test cases (test_prom_exporter.py)", () => {
  it('test_gen_labels: the same label names, in the same order, with the same values', () => {
    for (const [s, expected] of EXPECTED_LABELS) assert.deepEqual(labelsOf(s), expected, s.name);
  });

  it('test_collect_metrics: one gauge per meter, the second of two samples of a series wins, as the text Prometheus reads', async () => {
    const exposition = new CeilometerExposition();
    const report = exposition.update('openstack', [IMAGE_SIZE, MEMORY_USAGE, ...DISK_LATENCY]);
    assert.deepEqual(report, { series: 3, unwritable: [] });
    const line = (name: string, labels: [string, string][], value: string): string => `${name}{${labels.map(([k, v]) => `${k}="${v}"`).join(',')}} ${value}`;
    assert.equal(
      await exposition.metrics(),
      [
        '# HELP ceilometer_image_size ',
        '# TYPE ceilometer_image_size gauge',
        line('ceilometer_image_size', EXPECTED_LABELS[2][1], '16344576'),
        '',
        '# HELP ceilometer_memory_usage ',
        '# TYPE ceilometer_memory_usage gauge',
        line('ceilometer_memory_usage', EXPECTED_LABELS[1][1], '37.98046875'),
        '',
        '# HELP ceilometer_disk_device_read_latency ',
        '# TYPE ceilometer_disk_device_read_latency gauge',
        line('ceilometer_disk_device_read_latency', EXPECTED_LABELS[0][1], '232128754'),
        '',
      ].join('\n'),
    );
  });
});

describe('the rules of _gen_labels beyond those cases', () => {
  it('a meter of one or two segments: the first label is named after it and holds the resource id; type repeats a lone segment', () => {
    const cpu = labelsOf(sample({ name: 'cpu', unit: 'ns' }));
    assert.deepEqual(cpu.slice(0, 3), [['cpu', INSTANCE], ['publisher', 'ceilometer'], ['type', 'cpu']]);
    assert.deepEqual(labelsOf(sample({ name: 'power.state' })).slice(0, 3), [['power', INSTANCE], ['publisher', 'ceilometer'], ['type', 'state']]);
    // four segments: the third names the first label's value, the fourth is only in `counter`
    assert.deepEqual(labelsOf(sample({ name: 'network.incoming.packets.drop' })).slice(0, 4), [
      ['network', 'packets'], ['publisher', 'ceilometer'], ['type', 'incoming'], ['counter', 'network.incoming.packets.drop'],
    ]);
    assert.equal(meterShape('network.incoming.packets.drop')?.metric, 'ceilometer_network_incoming_packets_drop');
  });

  it('empty or missing fields leave their label out: unit, user, project', () => {
    const keys = labelsOf(sample({ unit: '', user_id: null, project_id: '' })).map(([k]) => k);
    assert.deepEqual(keys, ['memory', 'publisher', 'type', 'counter', 'resource', 'vm_instance', 'resource_name', 'server_group', 'flavor_id', 'flavor_name']);
  });

  it('empty metadata: nothing after resource, not even server_group', () => {
    assert.deepEqual(labelsOf(sample({ resource_metadata: {} })).map(([k]) => k), ['memory', 'publisher', 'type', 'counter', 'project', 'user', 'unit', 'resource']);
  });

  it('resource_name: display_name:name, or whichever is not empty; server_group none without user_metadata', () => {
    const md = (over: Record<string, unknown>): [string, string][] => labelsOf(sample({ resource_metadata: { cluster: 'x', ...over } }));
    assert.deepEqual(md({ name: 'tap0001a' }), [...labelsOf(sample({})).slice(0, 8), ['resource_name', 'tap0001a'], ['server_group', 'none']]);
    assert.deepEqual(md({ display_name: 'web', name: '' }).slice(8), [['resource_name', 'web'], ['server_group', 'none']]);
    assert.deepEqual(md({ user_metadata: null }).slice(8), [['server_group', 'none']]);
    assert.deepEqual(md({ user_metadata: { server_group: 'sg-1' } }).slice(8), [['server_group', 'sg-1']]);
  });

  it('flavor: flavor_id and flavor_name each only when set', () => {
    assert.deepEqual(labelsOf(sample({ resource_metadata: { flavor: { name: 'tiny' } } })).slice(8), [['server_group', 'none'], ['flavor_name', 'tiny']]);
    assert.deepEqual(labelsOf(sample({ resource_metadata: { flavor: { id: 42 } } })).slice(8), [['server_group', 'none'], ['flavor_id', '42']]);
    assert.deepEqual(labelsOf(sample({ resource_metadata: { flavor: {} } })).slice(8), [['server_group', 'none']]);
  });

  it("Aodh's alarm_state becomes `state` (a None one written None), before flavor", () => {
    assert.deepEqual(labelsOf(sample({ resource_metadata: { alarm_state: 'alarm', flavor: { id: 'f' } } })).slice(8), [['server_group', 'none'], ['state', 'alarm'], ['flavor_id', 'f']]);
    assert.deepEqual(labelsOf(sample({ resource_metadata: { alarm_state: null } })).slice(8), [['server_group', 'none'], ['state', 'None']]);
    assert.deepEqual(labelsOf(sample({ resource_metadata: { alarm_state: '' } })).slice(8), [['server_group', 'none']]);
  });

  it('loadbalancer meters get availability_zone, volume.service.health gets binary, zone and status, empty when unknown', () => {
    const lb = labelsOf(sample({ name: 'loadbalancer.operating', resource_metadata: { availability_zone: 'az1' } }));
    assert.deepEqual(lb.slice(-2), [['server_group', 'none'], ['availability_zone', 'az1']]);
    assert.deepEqual(labelsOf(sample({ name: 'loadbalancer.operating', resource_metadata: { x: 1 } })).slice(-1), [['availability_zone', '']]);
    const health = labelsOf(sample({ name: 'volume.service.health', resource_metadata: { binary: 'cinder-volume', zone: 'nova' } }));
    assert.deepEqual(health.slice(-4), [['server_group', 'none'], ['binary', 'cinder-volume'], ['zone', 'nova'], ['status', '']]);
  });

  it('project_name and user_name from a resolver, each after its id; unknown names leave the label out', () => {
    const identity: IdentityNames = { projectName: (id) => (id === PROJECT ? 'demo' : undefined), userName: () => null };
    const keys = labelsOf(MEMORY_USAGE, identity).slice(3, 8);
    assert.deepEqual(keys, [['counter', 'memory.usage'], ['project', PROJECT], ['project_name', 'demo'], ['user', USER], ['unit', 'MiB']]);
    const both = labelsOf(MEMORY_USAGE, { projectName: () => 'demo', userName: () => 'admin' }).map(([k]) => k);
    assert.deepEqual(both.slice(4, 8), ['project', 'project_name', 'user', 'user_name']);
  });

  it('a meter that cannot be a Prometheus name, or whose first segment is a label of its own, is reported and left out', async () => {
    const exposition = new CeilometerExposition();
    const report = exposition.update('s', [sample({ name: 'hardware.disk-size' }), sample({ name: 'type.x' }), sample({ name: '3par.volume' }), MEMORY_USAGE]);
    assert.deepEqual(report, { series: 1, unwritable: ['hardware.disk-size', 'type.x', '3par.volume'] });
    assert.deepEqual((await exposition.registry.getMetricsAsJSON()).map((m) => m.name), ['ceilometer_memory_usage']);
  });

  it('label values escaped: backslash, double quote, newline', async () => {
    const exposition = new CeilometerExposition();
    exposition.update('s', [sample({ resource_metadata: { display_name: 'say "hi"\\n\nnext', name: 'instance-1' } })]);
    const text = await exposition.metrics();
    assert.ok(text.includes(',resource_name="say \\"hi\\"\\\\n\\nnext:instance-1",'), text);
    assert.equal(text.split('\n').length, 4, 'HELP, TYPE, one series, and the final newline: the newline in the name does not break the line');
  });
});
