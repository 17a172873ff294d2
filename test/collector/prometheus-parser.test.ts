/**
 * The exposition parser on real output (node-exporter 1.5, Prometheus 2.42's
 * own /metrics, the Prometheus Python client's OpenMetrics) and on edge cases
 * of the two format specifications.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ExpositionError, type ExpositionFormat, SampleBatch, formatOfContentType, parseExposition } from '../../collector/prometheus/exposition-parser.js';
import { MetricType } from '../../collector/prometheus/sample-batch.js';
import { parseSeries, seriesNotation } from '../../collector/prometheus/series-labels.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'prometheus');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

function parse(text: string, format: ExpositionFormat = 'prometheus', batch = new SampleBatch(4)): SampleBatch {
  parseExposition(text, format, batch, { metadata: true });
  return batch;
}

function samples(b: SampleBatch): [string, number, number][] {
  const out: [string, number, number][] = [];
  for (let i = 0; i < b.length; i++) out.push([b.keys[i], b.values[i], b.timestamps[i]]);
  return out;
}

function valueOf(b: SampleBatch, key: string): number {
  const i = b.keys.slice(0, b.length).indexOf(key);
  assert.ok(i >= 0, `no sample ${key}`);
  return b.values[i];
}

function parseError(text: string, format: ExpositionFormat = 'prometheus'): ExpositionError {
  try {
    parseExposition(text, format, new SampleBatch());
  } catch (err) {
    assert.ok(err instanceof ExpositionError, `expected an ExpositionError, got ${String(err)}`);
    return err;
  }
  assert.fail(`no error for ${JSON.stringify(text)}`);
}

/** An independent reading of a 0.0.4 text without timestamps: every sample line is "series value". */
function naiveSamples(text: string): [string, number][] {
  return text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const sp = l.lastIndexOf(' ');
      const v = l.slice(sp + 1);
      return [l.slice(0, sp), v === 'NaN' ? NaN : v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v)];
    });
}

describe('real expositions', () => {
  test('node-exporter 1.5: every sample, types and help', () => {
    const text = fixture('node-exporter-1.5.txt');
    const b = parse(text);
    const expected = naiveSamples(text);
    assert.equal(b.length, expected.length);
    assert.deepEqual(
      samples(b).map(([k, v]) => [k, v]),
      expected,
    );
    assert.ok(samples(b).every(([, , ts]) => Number.isNaN(ts)));
    assert.equal(valueOf(b, 'node_cpu_seconds_total{cpu="0",mode="idle"}'), 2422.75);
    assert.equal(valueOf(b, 'node_boot_time_seconds'), 1.795653909e9);
    const i = b.keys.indexOf('node_cpu_seconds_total{cpu="0",mode="idle"}');
    assert.equal(b.types[i], MetricType.counter);
    assert.equal(b.types[b.keys.indexOf('go_gc_duration_seconds_sum')], MetricType.summary);
    assert.equal(b.types[b.keys.indexOf('go_gc_duration_seconds{quantile="0.5"}')], MetricType.summary);
    assert.equal(b.types[b.keys.indexOf('node_load1')], MetricType.gauge);
    assert.equal(b.metadata.get('node_cpu_seconds_total')?.help, 'Seconds the CPUs spent in each mode.');
    const fs = b.keys.find((k) => k.startsWith('node_filesystem_avail_bytes{') && k.includes('mountpoint="/"'));
    assert.ok(fs);
    assert.deepEqual([...parseSeries(fs)].find(([k]) => k === 'mountpoint'), ['mountpoint', '/']);
  });

  test('Prometheus 2.42 /metrics: histograms with +Inf buckets, summaries with NaN quantiles', () => {
    const text = fixture('prometheus-2.42.txt');
    const b = parse(text);
    const expected = naiveSamples(text);
    assert.equal(b.length, expected.length);
    for (let i = 0; i < b.length; i++) {
      assert.equal(b.keys[i], expected[i][0]);
      assert.ok(Object.is(b.values[i], expected[i][1]) || b.values[i] === expected[i][1], `${b.keys[i]}: ${b.values[i]} vs ${expected[i][1]}`);
    }
    const buckets = b.keys.slice(0, b.length).filter((k) => k.startsWith('prometheus_http_request_duration_seconds_bucket{'));
    assert.ok(buckets.length >= 10);
    assert.ok(buckets.some((k) => k.includes('le="+Inf"')));
    for (const k of buckets) assert.equal(b.types[b.keys.indexOf(k)], MetricType.histogram);
    for (const suffix of ['_sum', '_count']) {
      const k = b.keys.find((x) => x.startsWith(`prometheus_http_request_duration_seconds${suffix}{`));
      assert.ok(k);
      assert.equal(b.types[b.keys.indexOf(k)], MetricType.histogram);
    }
    assert.ok(b.keys.some((k, i) => k.startsWith('prometheus_engine_query_duration_seconds{') && Number.isNaN(b.values[i])));
    assert.equal(b.metadata.get('prometheus_http_request_duration_seconds')?.type, MetricType.histogram);
  });

  test('Prometheus Python client, OpenMetrics: exemplars skipped, _created, units, escapes, stateset, info', () => {
    const b = parse(fixture('python-client-0.16.om.txt'), 'openmetrics');
    assert.equal(b.length, 19);
    assert.equal(valueOf(b, 'demo_requests_bytes_total{path="/api"}'), 10);
    assert.equal(valueOf(b, 'demo_latency_seconds_bucket{le="0.5"}'), 1);
    assert.equal(valueOf(b, 'demo_requests_bytes_created{path="/api"}'), 1.795656640503496e9);
    assert.ok(Number.isNaN(valueOf(b, 'demo_temperature_celsius{room="attic"}')));
    assert.equal(valueOf(b, 'demo_state{demo_state="running"}'), 1);
    const kitchen = b.keys.find((k) => k.includes('kitchen'));
    assert.equal(kitchen, 'demo_temperature_celsius{room="kitchen \\"main\\""}');
    assert.equal(parseSeries(kitchen).get('room'), 'kitchen "main"');
    assert.equal(parseSeries('demo_temperature_celsius{room="cellar\\\\north"}').get('room'), 'cellar\\north');
    assert.equal(b.types[b.keys.indexOf('demo_requests_bytes_total{path="/api"}')], MetricType.counter);
    assert.equal(b.types[b.keys.indexOf('demo_requests_bytes_created{path="/api"}')], MetricType.counter);
    assert.equal(b.types[b.keys.indexOf('demo_latency_seconds_created')], MetricType.histogram);
    assert.equal(b.types[b.keys.indexOf('demo_build_info{revision="abc\\"def",version="1.2.3"}')], MetricType.info);
    assert.equal(b.types[b.keys.indexOf('demo_state{demo_state="stopped"}')], MetricType.stateset);
    const meta = b.metadata.get('demo_requests_bytes');
    assert.deepEqual(meta, { type: MetricType.counter, help: 'Requests handled, with "quotes" and a \\ backslash.', unit: 'bytes' });
    assert.equal(b.metadata.get('demo_temperature_celsius')?.help, 'Temperature\nper room.');
  });
});

describe('format edge cases', () => {
  test('label value escapes: backslash, quote, newline; other escapes kept', () => {
    const b = parse('a{b="x\\\\y\\"z\\nw",c="p\\q"} 1\n');
    assert.equal(b.keys[0], 'a{b="x\\\\y\\"z\\nw",c="p\\q"}');
    const labels = parseSeries(b.keys[0]);
    assert.equal(labels.get('b'), 'x\\y"z\nw');
    assert.equal(labels.get('c'), 'p\\q');
    assert.equal(seriesNotation(labels), 'a{b="x\\\\y\\"z\\nw",c="p\\\\q"}');
  });

  test('values: NaN, ±Inf in Go spellings, exponents, signs, 17 significant digits', () => {
    const text = [
      'a{i="1"} NaN',
      'a{i="2"} +Inf',
      'a{i="3"} -Inf',
      'a{i="4"} Inf',
      'a{i="5"} nan',
      'a{i="6"} 1e3',
      'a{i="7"} -0.5',
      'a{i="8"} 1.5E-3',
      'a{i="9"} 7.424100000000001e-05',
      'a{i="10"} +12',
      'a{i="11"} .5',
      'a{i="12"} 123456789012345678901234',
      'a{i="13"} 1.7976931348623157e+308',
      'a{i="14"} 5e-324',
      'a{i="15"} -0',
      '',
    ].join('\n');
    const v = samples(parse(text)).map(([, x]) => x);
    assert.ok(Number.isNaN(v[0]) && Number.isNaN(v[4]));
    assert.deepEqual(v.slice(1, 4), [Infinity, -Infinity, Infinity]);
    assert.deepEqual(v.slice(5), [1000, -0.5, 0.0015, 7.424100000000001e-5, 12, 0.5, 123456789012345678901234, 1.7976931348623157e308, 5e-324, -0]);
    assert.ok(Object.is(v[14], -0));
  });

  test('values parse exactly as Number() over many random doubles', () => {
    const lines: string[] = [];
    const expected: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const x = (Math.random() - 0.5) * 10 ** Math.floor(Math.random() * 40 - 20);
      for (const s of [String(x), x.toFixed(Math.floor(Math.random() * 8)), x.toExponential(Math.floor(Math.random() * 16)), x.toPrecision(15)]) {
        lines.push(`m ${s}`);
        expected.push(Number(s));
      }
    }
    const b = parse(`${lines.join('\n')}\n`);
    assert.equal(b.length, expected.length);
    for (let i = 0; i < b.length; i++) assert.ok(Object.is(b.values[i], expected[i]), `${lines[i]} → ${b.values[i]}, expected ${expected[i]}`);
  });

  test('timestamps: integer milliseconds in 0.0.4, float seconds in OpenMetrics', () => {
    const p = parse('a 1 1700000000123\nb{x="y"} 2\n');
    assert.deepEqual(samples(p)[0], ['a', 1, 1700000000123]);
    assert.ok(Number.isNaN(p.timestamps[1]));
    const o = parse('a 1 1700000000.123\nb 2 1700000000\n# EOF\n', 'openmetrics');
    assert.ok(Math.abs(o.timestamps[0] - 1700000000123) < 1e-3);
    assert.equal(o.timestamps[1], 1700000000000);
  });

  test('OpenMetrics exemplars, with and without timestamps, after a sample timestamp too', () => {
    const o = parse(
      [
        '# TYPE foo counter',
        'foo_total 17 # {trace_id="oHg5SJYRHA0",span="a b # }"} 9.8 1520879607.789',
        'foo_total{x="1"} 18 1520879607 # {trace_id="x"} 1',
        '# TYPE h histogram',
        'h_bucket{le="+Inf"} 1 # {} 0.5',
        '# EOF',
      ].join('\n'),
      'openmetrics',
    );
    assert.deepEqual(
      samples(o).map(([k, v]) => [k, v]),
      [['foo_total', 17], ['foo_total{x="1"}', 18], ['h_bucket{le="+Inf"}', 1]],
    );
    assert.equal(o.timestamps[1], 1520879607000);
    assert.match(parseError('foo_total 1 # {a="b"}\n# EOF\n', 'openmetrics').message, /line 1: .*exemplar/);
    assert.match(parseError('foo_total 1 # trace\n# EOF\n', 'openmetrics').message, /line 1: expected an exemplar/);
  });

  test('0.0.4 leniency: spaces and tabs, blank lines, free comments, trailing comma, no final newline', () => {
    const b = parse('# just a comment\n\n  a{ b = "1" , } \t 2  \n#HELP not metadata\n# HELPFUL comment\nc\t3\t1000\nd 4');
    assert.deepEqual(samples(b), [
      ['a{ b = "1" , }', 2, NaN],
      ['c', 3, 1000],
      ['d', 4, NaN],
    ]);
    assert.equal(parseSeries(b.keys[0]).get('b'), '1');
  });

  test('OpenMetrics strictness: no blank lines, no free comments, # EOF required and last', () => {
    assert.equal(parseError('a 1\n\n# EOF\n', 'openmetrics').line, 2);
    assert.match(parseError('# hello\na 1\n# EOF\n', 'openmetrics').message, /line 1: expected "# HELP"/);
    assert.match(parseError('a 1\n', 'openmetrics').message, /does not end with # EOF/);
    assert.match(parseError('a 1\n# EOF\nb 2\n', 'openmetrics').message, /line 3: unexpected data after # EOF/);
    assert.match(parseError('a  1\n# EOF\n', 'openmetrics').message, /line 1: invalid value ""|expected a value/);
    assert.match(parseError('a\t1\n# EOF\n', 'openmetrics').message, /line 1/);
    assert.match(parseError('# TYPE a untyped\n# EOF\n', 'openmetrics').message, /invalid metric type "untyped"/);
    assert.match(parseError('# UNIT a_seconds bytes\n# EOF\n', 'openmetrics').message, /unit "bytes" is not a suffix/);
    assert.equal(parse('a 1\n# EOF', 'openmetrics').length, 1);
  });

  test('malformed lines fail with the line number and what was found', () => {
    const cases: [string, number, RegExp][] = [
      ['ok 1\na{b="1} 2\n', 2, /label value not closed/],
      ['ok 1\nok 2\na 1x\n', 3, /invalid value "1x"/],
      ['a\n', 1, /expected a value/],
      ['1a 1\n', 1, /expected a metric name, got "1a 1"/],
      ['a{1b="x"} 1\n', 1, /expected a label name/],
      ['a{b=1} 1\n', 1, /expected a quoted label value/],
      ['a{b="1" c="2"} 1\n', 1, /expected "," or "}"/],
      ['a{b:"1"} 1\n', 1, /expected "="/],
      ['# TYPE a foo\n', 1, /invalid metric type "foo"/],
      ['a 1 1.5\n', 1, /invalid timestamp "1.5"/],
      ['a 1 -5\n', 1, /expected a timestamp or the end of the line/],
      ['a 1 2 3\n', 1, /expected a timestamp or the end of the line/],
      ['a{b="x\ny"} 1\n', 1, /label value not closed/],
      ['a 1 # {x="y"} 1\n', 1, /expected a timestamp or the end of the line/],
    ];
    for (const [text, line, message] of cases) {
      const err = parseError(text);
      assert.equal(err.line, line, `${JSON.stringify(text)}: ${err.message}`);
      assert.match(err.message, message);
      assert.ok(err.message.startsWith(`line ${line}: `));
    }
  });

  test('types follow the family: histogram, summary and counter suffixes, untyped otherwise', () => {
    const b = parse(
      [
        '# TYPE h histogram',
        'h_bucket{le="1"} 1',
        'h_sum 2',
        'h_count 1',
        'h_total 1',
        '# TYPE s summary',
        's{quantile="0.5"} 1',
        's_count 1',
        '# TYPE c counter',
        'c 5',
        'c_total 5',
        'other 1',
        '',
      ].join('\n'),
    );
    assert.deepEqual([...b.types.subarray(0, b.length)], [
      MetricType.histogram, MetricType.histogram, MetricType.histogram, MetricType.untyped,
      MetricType.summary, MetricType.summary, MetricType.counter, MetricType.counter, MetricType.untyped,
    ]);
  });

  test('a batch is reused: columns grow, unchanged series keep their string and are flagged', () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `m{i="${i}"} ${i}`);
    const b = new SampleBatch(16);
    parseExposition(`${lines.join('\n')}\n`, 'prometheus', b);
    assert.equal(b.length, 3000);
    assert.equal(b.values[2999], 2999);
    assert.equal(b.same[0], 0);
    const first = b.keys[10];
    lines[20] = 'm{i="changed"} 7';
    parseExposition(`${lines.join('\n')}\n`, 'prometheus', b);
    assert.equal(b.length, 3000);
    assert.equal(b.keys[10], first);
    assert.equal(b.same[10], 1);
    assert.equal(b.same[20], 0);
    assert.equal(b.keys[20], 'm{i="changed"}');
    parseExposition('x 1\n', 'prometheus', b);
    assert.equal(b.length, 1);
    assert.equal(b.keys[0], 'x');
  });

  test('Content-Type picks the format', () => {
    assert.equal(formatOfContentType('application/openmetrics-text; version=1.0.0; charset=utf-8'), 'openmetrics');
    assert.equal(formatOfContentType('text/plain; version=0.0.4; charset=utf-8'), 'prometheus');
    assert.equal(formatOfContentType(undefined), 'prometheus');
  });
});
