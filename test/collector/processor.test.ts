/**
 * The collector's processing on a real engine and index: the notification
 * corpus becomes Ceilometer's resource types, resources with their
 * attributes, metrics with the archive policies gnocchi_resources.yaml gives,
 * measures, events, and ended resources; a second delivery of everything
 * changes nothing; messages the store cannot take are dead-lettered with why.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadResourceDefinitions } from '../../collector/gnocchi/resource-definitions.js';
import type { MessageOutcome } from '../../collector/notification-processor.js';
import { CEILOMETER_DEFINITIONS, CORPUS_FILES, readCorpus, readExpected } from '../helpers/notification-corpus.js';
import { type CollectorStack, openCollectorStack } from '../helpers/collector-stack.js';
import { requires } from '../lib/requirements.js';

const files = CORPUS_FILES;
const corpus = readCorpus;
const expectedSamples = (f: string): Record<string, unknown>[][] => readExpected('expected', f) as Record<string, unknown>[][];

describe('collector: notifications into the store', () => {
  let s: CollectorStack;
  const outcomes = new Map<string, MessageOutcome[]>();

  before(async () => {
    s = await openCollectorStack();
    for (const f of files) outcomes.set(f, await s.processor.process(corpus(f)));
    while (s.engine.processPending() > 0);
  });
  after(async () => s.close());

  it("creates Ceilometer's resource types as ceilometer-upgrade does", requires('python3-ceilometer'), async () => {
    // the final schema of ceilometer's own list: the initial types with every update applied
    const script = `
import json
from ceilometer import gnocchi_client as g
types = {k: dict(v) for k, v in g.resources_initial.items()}
for op in g.resources_update_operations:
    if op['type'] == 'create_resource_type':
        types[op['resource_type']] = dict(op['data'][0]['attributes'])
    else:
        for d in op['data']:
            v = dict(d['value']); v.pop('options', None)
            types[op['resource_type']][d['path'].split('/')[-1]] = v
print(json.dumps(types))`;
    const want = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' })) as Record<string, Record<string, Record<string, unknown>>>;
    for (const [name, attrs] of Object.entries(want)) {
      const got = await s.index.resourceTypes.get(name);
      assert.deepEqual(Object.keys(got.attributes).sort(), Object.keys(attrs).sort(), name);
      for (const [a, def] of Object.entries(attrs)) {
        const g = got.attributes[a] as Record<string, unknown>;
        for (const [k, v] of Object.entries(def)) assert.equal(g[k], v, `${name}.${a}.${k}`);
      }
    }
  });

  it('stores every measure Ceilometer would publish, and dead-letters what Gnocchi would refuse', async () => {
    const defs = loadResourceDefinitions(join(CEILOMETER_DEFINITIONS, 'gnocchi_resources.yaml'));
    let want = 0;
    const seen = new Set<string>();
    // a dead-lettered message counts as handled: its copies in other files are duplicates
    const dead = new Set<string>();
    for (const f of files) {
      expectedSamples(f).forEach((samples, i) => {
        if (outcomes.get(f)![i] !== null) for (const smp of samples) dead.add(String(smp.message_id));
      });
    }
    for (const f of files) {
      expectedSamples(f).forEach((samples) => {
        for (const smp of samples) {
          const id = String(smp.message_id);
          if (dead.has(id) || seen.has(`${id}/${String(smp.id)}`)) continue;
          seen.add(`${id}/${String(smp.id)}`);
          if (defs.byMetric.has(String(smp.name)) && typeof smp.volume === 'number' && typeof smp.resource_id === 'string') want++;
        }
      });
    }
    assert.equal(s.processor.stats.measures, want);
    const deadLettered = [...outcomes].flatMap(([f, o]) => o.flatMap((x, i) => (x ? [`${f}#${i}: ${x.deadLetter}`] : [])));
    // an image.send before glance told about the image, and an instance created without a flavor: Gnocchi refuses both resources
    assert.deepEqual(deadLettered, [
      "envelope.json#2: resource 155d900f-4e14-4e4c-a73d-069cbf4541e6 (image): Invalid input: required key not provided @ data['name']",
      "nova.json#8: resource 0f3e6b6a-7a0e-4c0b-9d83-5d1a1e5a9d01 (instance): Invalid input: required key not provided @ data['flavor_id']",
    ]);
  });

  it('gives resources the attributes and metrics gnocchi_resources.yaml maps, and ends deleted ones', async () => {
    const [instance] = await s.index.resources.list('instance', { filter: { '=': { original_resource_id: '9f9d01b9-4a58-4271-9e27-398b21ab20d1' } } });
    assert.ok(instance, 'the instance resource');
    assert.equal(instance.attributes.display_name, 'web-1');
    assert.equal(instance.attributes.flavor_name, 'm1.small');
    assert.equal(instance.attributes.host, 'compute-0');
    assert.equal(instance.attributes.server_group, 'web');
    assert.equal(instance.projectId, '7c150a59fe714e6f9263774af9688f0e');
    assert.ok(instance.endedAt !== null, 'compute.instance.delete.start ended it');
    assert.deepEqual(Object.keys(instance.metrics).sort(), ['compute.instance.booting.time', 'disk.ephemeral.size', 'disk.root.size', 'memory', 'vcpus']);
    const memory = await s.index.metrics.get(instance.metrics.memory);
    assert.equal(memory?.archivePolicyName, 'ceilometer-low');
    assert.equal(memory?.unit, 'MB');
    const points = s.engine.read(instance.metrics.memory, { method: 'mean', granularity: 300e6 });
    assert.ok(points.length > 0);
    assert.equal(points.values[points.length - 1], 2048);
  });

  it('stores one event per info/error notification, with typed traits', async () => {
    const events = await s.index.events.list({});
    assert.equal(events.length, s.processor.stats.events);
    const types = await s.index.events.eventTypes();
    assert.ok(types.includes('compute.instance.create.end') && types.includes('volume.create.end') && types.includes('identity.authenticate'));
    assert.ok(!types.includes('compute.instance.volume.attach'), 'WARN notifications make no event');
    const [created] = await s.index.events.list({ eventType: 'compute.instance.create.end', traits: [{ name: 'memory_mb', type: 'integer', op: 'ge', value: 1024 }] });
    assert.ok(created);
    const memoryMb = created.traits.find((t) => t.name === 'memory_mb');
    assert.deepEqual(memoryMb, { name: 'memory_mb', type: 'integer', value: 2048 });
  });

  it('counts nothing twice when everything is delivered again', async () => {
    const before = { ...s.processor.stats };
    for (const f of files) {
      const again = await s.processor.process(corpus(f));
      // dead-lettered messages were recorded as handled too: their redelivery is a no-op
      assert.ok(again.every((o) => o === null), f);
    }
    assert.equal(s.processor.stats.measures, before.measures);
    assert.equal(s.processor.stats.events, before.events);
    assert.equal(s.processor.stats.duplicates - before.duplicates, before.messages);
  });
});
