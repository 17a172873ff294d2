/**
 * CloudKitty's metrics.yml as tally reads it: Debian's stock file
 * (/etc/cloudkitty/metrics.yml, from cloudkitty-common) loads as is, with
 * CloudKitty's defaults filled in; tally's shipped file rates the same
 * metrics; and each mistake is refused with the path of the key at fault.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { DEFAULT_METRICS_FILE, MetricsConfigError, loadMetricsConfig, parseMetricsConfig } from '../../rating/config/metrics-config.js';
import { quantityOf } from '../../rating/usage/quantity.js';

const STOCK = '/etc/cloudkitty/metrics.yml';

test('Debian\'s stock metrics.yml loads, with CloudKitty\'s defaults', { skip: existsSync(STOCK) ? false : `${STOCK} is not installed (cloudkitty-common)` }, () => {
  const metrics = loadMetricsConfig(STOCK);
  const cpu = metrics.find((m) => m.metric === 'cpu')!;
  assert.equal(cpu.type, 'instance');
  assert.equal(cpu.mutate, 'NUMBOOL');
  assert.equal(cpu.resourceType, 'instance');
  assert.equal(cpu.granularity, 300);
  const image = metrics.find((m) => m.metric === 'image.size')!;
  // no force_granularity: CloudKitty's 3600 s, which tally reads at the metric's finest instead
  assert.equal(image.granularity, 3600);
  assert.equal(image.reAggregationMethod, 'max');
  assert.equal(image.resourceKey, 'id');
  // 1/1048576 as CloudKitty takes it: the float of the fraction
  assert.equal(image.factor.toString(), '9.5367431640625E-7');
  assert.equal(quantityOf(image, 2147483648).toString(), '2048.00000000000000000000');
  assert.equal(quantityOf(metrics.find((m) => m.metric === 'ip.floating')!, 0).toString(), '0.0');
});

test('tally\'s shipped metrics.yml rates the stock file\'s metrics', () => {
  const shipped = loadMetricsConfig(DEFAULT_METRICS_FILE);
  assert.deepEqual(shipped.map((m) => `${m.metric}→${m.type}`).sort(), ['cpu→instance', 'image.size→image.size', 'ip.floating→ip.floating', 'network.incoming.bytes.rate→network.incoming.bytes.rate', 'network.outgoing.bytes.rate→network.outgoing.bytes.rate', 'radosgw.objects.size→radosgw.objects.size', 'volume.size→volume.size']);
  if (existsSync(STOCK)) {
    const stock = loadMetricsConfig(STOCK);
    for (const s of stock) {
      const m = shipped.find((x) => x.metric === s.metric)!;
      assert.deepEqual([m.type, m.unit, m.factor.toString(), m.mutate, m.resourceType, [...m.groupby].sort(), [...m.metadata].sort()], [s.type, s.unit, s.factor.toString(), s.mutate, s.resourceType, [...s.groupby].sort(), [...s.metadata].sort()], s.metric);
    }
  }
});

test('mutators: NUMBOOL, NOTNUMBOOL, FLOOR, CEIL, MAP, with factor and offset', () => {
  const [numbool, notnumbool, floor, ceil, map, offset] = parseMetricsConfig(`
metrics:
  a: {unit: x, mutate: NUMBOOL, extra_args: {resource_type: t}}
  b: {unit: x, mutate: NOTNUMBOOL, extra_args: {resource_type: t}}
  c: {unit: x, mutate: FLOOR, factor: 1/3, extra_args: {resource_type: t}}
  d: {unit: x, mutate: CEIL, factor: 1/3, extra_args: {resource_type: t}}
  e: {unit: x, mutate: MAP, mutate_map: {1: 10, 2: 0.5}, extra_args: {resource_type: t}}
  f: {unit: x, factor: 2, offset: -1, extra_args: {resource_type: t}}
`);
  assert.deepEqual([3, 0].map((v) => quantityOf(numbool, v).toString()), ['1.0', '0.0']);
  assert.deepEqual([3, 0].map((v) => quantityOf(notnumbool, v).toString()), ['0.0', '1.0']);
  assert.deepEqual([7, -7].map((v) => quantityOf(floor, v).toString()), ['2', '-3']);
  assert.deepEqual([7, -7].map((v) => quantityOf(ceil, v).toString()), ['3', '-2']);
  assert.deepEqual([1, 2, 3].map((v) => quantityOf(map, v).toString()), ['10', '0.5', '0.0']);
  assert.equal(quantityOf(offset, 2.5).toString(), '4.0');
  // project_id and the resource key always among the groupby keys
  assert.deepEqual([...numbool.groupby].sort(), ['id', 'project_id']);
});

test('mistakes are refused naming the key', () => {
  const refused = (yaml: string, key: RegExp): void => {
    assert.throws(() => parseMetricsConfig(yaml), (err: unknown) => err instanceof MetricsConfigError && key.test(err.key), yaml);
  };
  refused('metrics: {}', /^metrics$/);
  refused('nothing: 1', /^metrics$/);
  refused('metrics: {cpu: {extra_args: {resource_type: instance}}}', /^metrics\.cpu\.unit$/);
  refused('metrics: {cpu: {unit: s}}', /^metrics\.cpu\.extra_args$/);
  refused('metrics: {cpu: {unit: s, extra_args: {}}}', /^metrics\.cpu\.extra_args\.resource_type$/);
  refused('metrics: {cpu: {unit: s, mutate: HALF, extra_args: {resource_type: i}}}', /^metrics\.cpu\.mutate$/);
  refused('metrics: {cpu: {unit: s, mutate: MAP, extra_args: {resource_type: i}}}', /^metrics\.cpu\.mutate_map$/);
  refused('metrics: {cpu: {unit: s, mutate_map: {1: 2}, extra_args: {resource_type: i}}}', /^metrics\.cpu\.mutate_map$/);
  refused('metrics: {cpu: {unit: s, factor: one, extra_args: {resource_type: i}}}', /^metrics\.cpu\.factor$/);
  refused('metrics: {cpu: {unit: s, extra_args: {resource_type: i, force_granularity: -5}}}', /^metrics\.cpu\.extra_args\.force_granularity$/);
  refused('metrics: {cpu: {unit: s, extra_args: {resource_type: i, aggregation_method: average}}}', /^metrics\.cpu\.extra_args\.aggregation_method$/);
  refused('metrics: {cpu: {unit: s, extra_args: {resource_type: i, colour: red}}}', /^metrics\.cpu\.extra_args\.colour$/);
  refused('metrics: {cpu: {unit: s, colour: red, extra_args: {resource_type: i}}}', /^metrics\.cpu\.colour$/);
  refused('metrics: {cpu: {unit: s, groupby: [id, flavor], metadata: [flavor], extra_args: {resource_type: i}}}', /^metrics\.cpu\.metadata$/);
  refused('metrics: {cpu: {unit: s, groupby: [1], extra_args: {resource_type: i}}}', /^metrics\.cpu\.groupby\[0\]$/);
  refused('metrics: [', /^\(file\)$/);
});
