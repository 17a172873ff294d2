import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { makeArchivePolicy, makeItem } from '../../tsdb/archive-policy.js';
import { fnmatch } from '../../tsdb/index/archive-policies.js';
import {
  ArchivePolicyAlreadyExists,
  ArchivePolicyInUse,
  ArchivePolicyRuleAlreadyExists,
  NamedMetricAlreadyExists,
  NoArchivePolicyRuleMatch,
  NoSuchArchivePolicy,
  NoSuchArchivePolicyRule,
  InvalidPagination,
  NoSuchMetric,
  NoSuchResource,
  NoSuchResourceType,
  QueryValueError,
  ResourceAlreadyExists,
  ResourceAttributeError,
  ResourceTypeAlreadyExists,
  ResourceTypeInUse,
  ResourceValueError,
  UnsupportedArchivePolicyChange,
  UnsupportedArchivePolicyRuleChange,
} from '../../tsdb/index/errors.js';
import { Index } from '../../tsdb/index/index.js';
import { indexTargets } from '../helpers/index-targets.js';

for (const target of indexTargets()) {
  describe(`index on ${target.driver}`, () => {
    let index: Index;
    let place: string;
    before(async () => {
      place = await target.create();
      index = await Index.open(place);
    });
    after(async () => {
      await index?.close();
      await target.cleanup();
    });

    it('starts with the default archive policies, and re-opening migrates nothing twice', async () => {
      const names = (await index.archivePolicies.list()).map((p) => p.name);
      assert.deepEqual(names, ['bool', 'ceilometer-high', 'ceilometer-high-rate', 'ceilometer-low', 'ceilometer-low-rate', 'high', 'low', 'medium']);
      await index.close();
      index = await Index.open(place);
      assert.equal((await index.archivePolicies.list()).length, 8);
      const medium = await index.archivePolicies.get('medium');
      assert.deepEqual(medium?.definition.map((d) => d.granularity), [60e6, 3600e6]);
      assert.deepEqual(medium?.aggregationMethods, ['count', 'max', 'mean', 'min', 'std', 'sum']);
    });

    it('creates, updates and deletes archive policies with Gnocchi\'s errors', async () => {
      const p = makeArchivePolicy({ name: 'p1', back_window: 2, aggregation_methods: ['mean', 'rate:95pct'], definition: [{ granularity: 60, points: 10 }, { granularity: 3600 }] });
      await index.archivePolicies.create(p);
      assert.deepEqual(await index.archivePolicies.get('p1'), p);
      await assert.rejects(index.archivePolicies.create(p), ArchivePolicyAlreadyExists);
      const updated = await index.archivePolicies.update('p1', [makeItem({ granularity: 3600, points: 5 }), makeItem({ granularity: 60, points: 20 })]);
      assert.deepEqual(updated.definition.map((d) => d.points), [20, 5]);
      await assert.rejects(
        index.archivePolicies.update('p1', [makeItem({ granularity: 60 })]),
        (e: unknown) => e instanceof UnsupportedArchivePolicyChange && e.message === 'Archive policy p1 does not support change: Cannot add or drop granularities',
      );
      await assert.rejects(
        index.archivePolicies.update('p1', [makeItem({ granularity: 60 }), makeItem({ granularity: 7200 })]),
        (e: unknown) => e instanceof UnsupportedArchivePolicyChange && e.message === 'Archive policy p1 does not support change: 3600.0 granularity interval was changed',
      );
      await assert.rejects(index.archivePolicies.update('nope', []), NoSuchArchivePolicy);
      await index.archivePolicies.delete('p1');
      await assert.rejects(index.archivePolicies.delete('p1'), (e: unknown) => e instanceof NoSuchArchivePolicy && e.message === 'Archive policy p1 does not exist');
    });

    it('picks the archive policy of a new metric by rule, most specific pattern first', async () => {
      // like gnocchi-upgrade, the defaults include rule "default": every name to "low"
      assert.deepEqual(await index.archivePolicies.getRule('default'), { name: 'default', metricPattern: '*', archivePolicyName: 'low' });
      await index.archivePolicies.deleteRule('default');
      await index.archivePolicies.createRule({ name: 'all', metricPattern: '*', archivePolicyName: 'low' });
      await index.archivePolicies.createRule({ name: 'disk', metricPattern: 'disk.*', archivePolicyName: 'medium' });
      await index.archivePolicies.createRule({ name: 'disk-io', metricPattern: 'disk.io.*', archivePolicyName: 'high' });
      assert.equal(await index.archivePolicies.policyForMetricName('disk.io.read'), 'high');
      assert.equal(await index.archivePolicies.policyForMetricName('disk.usage'), 'medium');
      assert.equal(await index.archivePolicies.policyForMetricName('cpu'), 'low');
      await assert.rejects(index.archivePolicies.createRule({ name: 'disk', metricPattern: 'x', archivePolicyName: 'low' }), ArchivePolicyRuleAlreadyExists);
      await assert.rejects(index.archivePolicies.createRule({ name: 'y', metricPattern: 'y', archivePolicyName: 'nope' }), NoSuchArchivePolicy);
      await assert.rejects(index.archivePolicies.renameRule('disk', 'all'), UnsupportedArchivePolicyRuleChange);
      assert.equal((await index.archivePolicies.renameRule('disk', 'disks')).name, 'disks');
      await assert.rejects(index.archivePolicies.delete('high'), ArchivePolicyInUse, 'a rule keeps its policy alive');
      for (const r of ['all', 'disks', 'disk-io']) await index.archivePolicies.deleteRule(r);
      await assert.rejects(index.archivePolicies.deleteRule('all'), NoSuchArchivePolicyRule);
      await assert.rejects(index.archivePolicies.policyForMetricName('cpu'), NoArchivePolicyRuleMatch);
    });

    it('stores metrics, one name per resource, and keeps their policy in use', async () => {
      const resourceId = randomUUID();
      await index.resources.create('generic', { id: resourceId, originalResourceId: resourceId, creator: 'u:p' });
      const m1 = { id: randomUUID(), archivePolicyName: 'low', creator: 'u:p', resourceId, name: 'cpu', unit: 'ns' };
      const m2 = { id: randomUUID(), archivePolicyName: 'medium', creator: 'u:q', resourceId: null, name: null, unit: null };
      await index.metrics.create(m1);
      await index.metrics.create(m2);
      assert.deepEqual(await index.metrics.get(m1.id), m1);
      assert.equal(await index.metrics.get('not-a-uuid'), undefined);
      await assert.rejects(index.metrics.create({ ...m1, id: randomUUID() }), (e: unknown) => e instanceof NamedMetricAlreadyExists && e.message === 'Named metric cpu already exists');
      await assert.rejects(index.metrics.create({ ...m2, id: randomUUID(), archivePolicyName: 'nope' }), NoSuchArchivePolicy);
      assert.deepEqual((await index.metrics.list({ creator: 'u:q' })).map((m) => m.id), [m2.id]);
      assert.deepEqual((await index.metrics.list({ resourceId })).map((m) => m.id), [m1.id]);
      const all = (await index.metrics.list()).map((m) => m.id);
      assert.deepEqual(all, [m1.id, m2.id].sort());
      assert.deepEqual((await index.metrics.list({ marker: all[0], limit: 1 })).map((m) => m.id), [all[1]]);
      await assert.rejects(index.archivePolicies.delete('low'), ArchivePolicyInUse);
      await index.metrics.delete(m1.id);
      await assert.rejects(index.metrics.delete(m1.id), (e: unknown) => e instanceof NoSuchMetric && e.message === `Metric ${m1.id} does not exist`);
    });

    it('keeps typed resources with their history, and finds them by filter, page by page', async () => {
      await index.resourceTypes.create('vm', {
        flavor: { type: 'string', required: true, min_length: 0, max_length: 255 },
        vcpus: { type: 'number', required: false, min: 1, max: null },
      });
      await assert.rejects(index.resourceTypes.create('vm', {}), ResourceTypeAlreadyExists);
      const ids = [randomUUID(), randomUUID(), randomUUID()].sort();
      for (const [i, id] of ids.entries()) {
        const { createdMetrics } = await index.resources.create('vm', {
          id,
          originalResourceId: `vm-${i}`,
          creator: 'u:p',
          projectId: i === 2 ? 'other' : 'p',
          startedAt: Date.UTC(2024, 0, 1 + i) * 1000 + 123,
          attributes: { flavor: i === 0 ? 'small' : 'large', vcpus: i + 1 },
          metrics: { cpu: { archivePolicyName: 'low', unit: 'ns' } },
        });
        assert.equal(createdMetrics.length, 1);
      }
      await assert.rejects(index.resources.create('vm', { id: ids[0], originalResourceId: 'x', creator: 'u:p' }), ResourceAlreadyExists);
      const r0 = (await index.resources.get('vm', ids[0]))!;
      assert.equal(r0.startedAt, Date.UTC(2024, 0, 1) * 1000 + 123, 'microseconds survive the round trip');
      assert.deepEqual(Object.keys(r0.metrics), ['cpu']);
      assert.deepEqual((await index.resources.get('generic', ids[0]))!.attributes, {}, 'read as generic: no typed attributes');

      await index.resources.update('vm', ids[0], { attributes: { flavor: 'medium' }, createRevision: true });
      await assert.rejects(index.resources.update('vm', ids[0], { endedAt: 0, createRevision: true }), ResourceValueError);
      const history = await index.resources.list('vm', { filter: { '=': { id: ids[0] } }, history: true, sorts: ['revision_end:asc-nullslast'] });
      assert.deepEqual(history.map((r) => r.attributes.flavor), ['small', 'medium']);
      assert.equal(history[1].revision, -1);
      assert.equal(history[0].revisionEnd, history[1].revisionStart);

      const large = await index.resources.list('vm', { filter: { and: [{ '>=': { vcpus: 2 } }, { like: { flavor: 'l%' } }] } });
      assert.deepEqual(large.map((r) => r.id), [ids[1], ids[2]]);
      const notOther = await index.resources.list('vm', { filter: { '!=': { project_id: 'other' } }, sorts: ['vcpus:desc'] });
      assert.deepEqual(notOther.map((r) => r.id), [ids[1], ids[0]]);
      await assert.rejects(index.resources.list('vm', { filter: { '=': { nope: 1 } } }), ResourceAttributeError);
      await assert.rejects(index.resources.list('generic', { filter: { '=': { flavor: 'small' } } }), ResourceAttributeError);
      await assert.rejects(index.resources.list('vm', { filter: { '=': { started_at: 'not a date' } } }), QueryValueError);
      const page1 = await index.resources.list('vm', { sorts: ['flavor:asc'], limit: 2 });
      const page2 = await index.resources.list('vm', { sorts: ['flavor:asc'], limit: 2, marker: page1[1].id });
      assert.deepEqual([...page1, ...page2].map((r) => r.attributes.flavor), ['large', 'large', 'medium']);
      await assert.rejects(index.resources.list('vm', { marker: randomUUID() }), InvalidPagination);

      await index.resourceTypes.update('vm', [{ name: 'zone', definition: { type: 'string', required: true, min_length: 0, max_length: 255 }, fill: 'az1' }], ['vcpus']);
      const filled = await index.resources.list('vm', { history: true });
      assert.ok(filled.every((r) => r.attributes.zone === 'az1' && !('vcpus' in r.attributes)), 'added attribute filled, removed one gone, in every revision');
      await assert.rejects(index.resourceTypes.delete('vm'), ResourceTypeInUse);

      const { deleted, metricIds } = await index.resources.deleteMatching('vm', { '=': { project_id: 'p' } });
      assert.equal(deleted, 2);
      assert.equal(metricIds.length, 2);
      assert.equal(await index.metrics.get(metricIds[0]), undefined);
      assert.equal((await index.resources.delete(ids[2])).length, 1);
      await assert.rejects(index.resources.delete(ids[2]), NoSuchResource);
      await index.resourceTypes.delete('vm');
      await assert.rejects(index.resourceTypes.get('vm'), NoSuchResourceType);
    });

    it('rolls a failed transaction back', async () => {
      await assert.rejects(
        index.sql.transaction(async (tx) => {
          await tx.query("INSERT INTO archive_policy_rule (name, metric_pattern, archive_policy_name) VALUES ('t', 't', 'low')");
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.equal(await index.archivePolicies.getRule('t'), undefined);
    });
  });
}

describe('fnmatch', () => {
  it('matches as Python fnmatchcase does', () => {
    assert.ok(fnmatch('disk.io.read', 'disk.*'));
    assert.ok(fnmatch('a.b', 'a?b'));
    assert.ok(!fnmatch('a.b', 'a.c'));
    assert.ok(fnmatch('cpu1', 'cpu[0-9]'));
    assert.ok(!fnmatch('cpux', 'cpu[!a-z]'));
    assert.ok(fnmatch('x(y)+', 'x(y)+'));
    assert.ok(!fnmatch('Disk', 'disk'));
  });
});
