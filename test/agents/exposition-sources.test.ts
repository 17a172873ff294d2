/**
 * One exposition fed by several sources: each poll of a source replaces
 * that source's series and leaves the others', a family no source has any
 * more leaves the text and the registry, a failed poll leaves nothing of
 * its source, and the registry's own text (prom-client formatting the
 * series) is the exposition's text.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Gauge, Registry } from 'prom-client';
import { CeilometerExposition } from '../../agents/exposition/exposition.js';
import type { AgentSample } from '../../agents/sample.js';

const instance = (uuid: string, name: string, volume: number): AgentSample => ({
  name: 'cpu',
  type: 'cumulative',
  unit: 'ns',
  volume,
  user_id: 'u1',
  project_id: 'p1',
  resource_id: uuid,
  timestamp: '2026-12-06T05:00:00',
  resource_metadata: { display_name: name, name: `instance-${uuid.slice(0, 4)}`, host: 'h1' },
});

const port = (id: string, volume: number): AgentSample => ({
  name: 'switch.port.receive.bytes',
  type: 'cumulative',
  unit: 'B',
  volume,
  user_id: null,
  project_id: null,
  resource_id: id,
  timestamp: '2026-12-06T05:00:00',
  resource_metadata: { name: 'tap1', bridge: 'br-int' },
});

/** resource label → value of each series of a family, read from the text */
function series(text: string, family: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${family}{`)) continue;
    const resource = /[{,]resource="([^"]*)"/.exec(line)?.[1] ?? '';
    out.set(resource, Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

describe('sources', () => {
  it("a poll replaces its source's series only: a series missing from it is gone, another source's stay", async () => {
    const e = new CeilometerExposition();
    e.update('instances/libvirt', [instance('aaaa', 'web', 10), instance('bbbb', 'db', 20), { ...instance('aaaa', 'web', 1), name: 'vcpus', unit: 'vcpu' }]);
    e.update('ports/ovs', [port('1:1', 100)]);
    let text = await e.metrics();
    assert.deepEqual([...series(text, 'ceilometer_cpu')], [['aaaa', 10], ['bbbb', 20]]);
    assert.ok(text.includes('# TYPE ceilometer_vcpus gauge'));

    // the next poll: db deleted, web's counter grown, vcpus no longer polled
    e.update('instances/libvirt', [instance('aaaa', 'web', 15)]);
    text = await e.metrics();
    assert.deepEqual([...series(text, 'ceilometer_cpu')], [['aaaa', 15]]);
    assert.ok(!text.includes('ceilometer_vcpus'), 'a family no source has any more is gone, HELP and TYPE too');
    assert.deepEqual([...series(text, 'ceilometer_switch_port_receive_bytes')], [['1:1', 100]]);
    assert.deepEqual(
      e.registry.getMetricsAsArray().map((m) => m.name),
      ['ceilometer_cpu', 'ceilometer_switch_port_receive_bytes'],
      'and out of the registry',
    );
  });

  it('a failed poll, or one with no samples, leaves nothing of its source', async () => {
    const e = new CeilometerExposition();
    e.update('a/libvirt', [instance('aaaa', 'web', 10)]);
    e.update('b/ovs', [port('1:1', 100)]);
    e.failed('a/libvirt');
    assert.equal(series(await e.metrics(), 'ceilometer_cpu').size, 0);
    e.update('b/ovs', []);
    assert.equal(await e.metrics(), '\n', 'an exposition of nothing: what prom-client writes for an empty registry');
    assert.equal(await e.registry.metrics(), '\n');
  });

  it('two sources with the same series: one line, the value of the source polled last', async () => {
    const e = new CeilometerExposition();
    e.update('fast', [instance('aaaa', 'web', 1)]);
    e.update('slow', [instance('aaaa', 'web', 2), instance('bbbb', 'db', 3)]);
    assert.deepEqual([...series(await e.metrics(), 'ceilometer_cpu')], [['aaaa', 2], ['bbbb', 3]]);
    e.update('fast', [instance('aaaa', 'web', 4)]);
    assert.deepEqual([...series(await e.metrics(), 'ceilometer_cpu')], [['aaaa', 4], ['bbbb', 3]]);
    e.failed('fast');
    assert.deepEqual([...series(await e.metrics(), 'ceilometer_cpu')], [['aaaa', 2], ['bbbb', 3]], "the other source's series comes back");
  });

  it("the registry's text, formatted by prom-client, is the exposition's; JSON gives the labels in order", async () => {
    const e = new CeilometerExposition({ exporterNames: true });
    e.update('a/libvirt', [instance('aaaa', 'web "1"\n', 10), { ...instance('bbbb', 'db\\x', 0.5), name: 'memory', unit: 'MB', resource_metadata: { display_name: 'db', name: 'instance-2', instance_id: 'bbbb', memory_mb: 512 } }]);
    e.update('b/ovs', [port('1:1', 1e21)]);
    const text = await e.metrics();
    assert.equal(await e.registry.metrics(), text);
    assert.equal(await Registry.merge([e.registry]).metrics(), text, 'through a registry merged with others too');
    const json = await e.registry.getMetricsAsJSON();
    const cpu = json.find((m) => m.name === 'ceilometer_cpu');
    assert.deepEqual(Object.keys(cpu?.values[0].labels ?? {}), ['cpu', 'publisher', 'type', 'counter', 'project', 'user', 'unit', 'resource', 'vm_instance', 'resource_name', 'server_group']);
    assert.equal(cpu?.values[0].labels.resource_name, 'web "1"\n:instance-aaaa');
    assert.equal(json.find((m) => m.name === 'libvirt_domain_info_memory_usage_bytes')?.type as unknown, 'gauge');
    assert.equal(json.find((m) => m.name === 'libvirt_domain_info_cpu_time_seconds_total')?.type as unknown, 'counter');
  });

  it("families join a registry given to it, beside the process's own metrics, and leave it when empty", async () => {
    const registry = new Registry();
    const own = new Gauge({ name: 'tally_agent_polls', help: 'polls', registers: [registry] });
    own.set(3);
    const e = new CeilometerExposition({ registry });
    e.update('a', [instance('aaaa', 'web', 10)]);
    const text = await registry.metrics();
    assert.ok(text.startsWith('# HELP tally_agent_polls polls\n# TYPE tally_agent_polls gauge\ntally_agent_polls 3\n\n# HELP ceilometer_cpu '), text);
    e.update('a', []);
    assert.deepEqual(registry.getMetricsAsArray().map((m) => m.name), ['tally_agent_polls']);
  });
});
