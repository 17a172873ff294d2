/**
 * Scrape configuration: durations, validation errors naming the field,
 * relabelling as Prometheus applies it, targets from groups, the mapping of
 * series to resources and metric names, file_sd files.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parse } from 'yaml';
import { ScrapeConfigError } from '../../collector/prometheus/config-error.js';
import { formatDuration, parseDuration } from '../../collector/prometheus/duration.js';
import { filesOf, readTargetFile } from '../../collector/prometheus/file-sd.js';
import { expand, parseRelabelConfigs, relabel } from '../../collector/prometheus/relabel.js';
import { type ScrapeConfig, loadScrapeConfig, parseScrapeConfig } from '../../collector/prometheus/scrape-config.js';
import { type Labels, parseSeries } from '../../collector/prometheus/series-labels.js';
import { metricNameOf, resourceOf } from '../../collector/prometheus/series-mapping.js';
import { targetsOfGroup } from '../../collector/prometheus/targets.js';
import { resourceUuid } from '../../tsdb/api/resource-id.js';

const dir = mkdtempSync(join(tmpdir(), 'tally-scrape-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const config = (yaml: string): ScrapeConfig => parseScrapeConfig(parse(yaml), 'test.yml', dir);

function configError(yaml: string): ScrapeConfigError {
  try {
    config(yaml);
  } catch (err) {
    assert.ok(err instanceof ScrapeConfigError, String(err));
    return err;
  }
  assert.fail('no error');
}

const labels = (o: Record<string, string>): Labels => new Map(Object.entries(o));

describe('durations', () => {
  test('Prometheus spellings', () => {
    assert.equal(parseDuration('15s'), 15_000);
    assert.equal(parseDuration('1m'), 60_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('1d2h'), 26 * 3_600_000);
    assert.equal(parseDuration('2w'), 14 * 86_400_000);
    assert.equal(parseDuration('1y'), 365 * 86_400_000);
    assert.equal(parseDuration('0'), 0);
    for (const bad of ['', '15', '1.5s', '30m1h', '1m1m', ' 1s', '1s ', '-1s', '1S']) assert.equal(parseDuration(bad), undefined, bad);
    assert.equal(formatDuration(90_000), '1m30s');
    assert.equal(formatDuration(15_000), '15s');
  });
});

describe('scrape config validation', () => {
  test('defaults and global settings', () => {
    const c = config(`
global: { scrape_interval: 15s }
rule_files: [x.yml]
scrape_configs:
  - job_name: a
    static_configs: [{ targets: ['h:9100'], labels: { env: prod } }]
  - job_name: b
    scrape_interval: 5s
    scrape_timeout: 2s
    metrics_path: /m
    scheme: https
    honor_labels: true
    honor_timestamps: false
    params: { module: [x] }
    file_sd_configs: [{ files: ['sd/*.json'], refresh_interval: 30s }]
`);
    const [a, b] = c.jobs;
    assert.equal(a.scrapeIntervalMs, 15_000);
    assert.equal(a.scrapeTimeoutMs, 10_000);
    assert.equal(a.metricsPath, '/metrics');
    assert.equal(a.scheme, 'http');
    assert.equal(a.honorLabels, false);
    assert.equal(a.honorTimestamps, true);
    assert.deepEqual(a.staticConfigs[0].labels, { env: 'prod' });
    assert.equal(b.scrapeIntervalMs, 5_000);
    assert.equal(b.scrapeTimeoutMs, 2_000);
    assert.deepEqual(b.fileSdConfigs[0], { files: [join(dir, 'sd/*.json')], refreshIntervalMs: 30_000 });
    // a timeout defaults to the interval when the interval is shorter
    assert.equal(config('scrape_configs: [{ job_name: a, scrape_interval: 3s }]').jobs[0].scrapeTimeoutMs, 3_000);
    // a bare list of scrape configs
    assert.equal(parseScrapeConfig([{ job_name: 'x' }], 'f', dir).jobs[0].jobName, 'x');
  });

  test('errors name the offending field', () => {
    const cases: [string, string, RegExp][] = [
      ['scrape_configs: [{ job_name: a, scrape_interval: 15 }]', 'scrape_configs[0].scrape_interval', /expected a duration/],
      ['scrape_configs: [{ job_name: a, scrape_interval: 5s, scrape_timeout: 10s }]', 'scrape_configs[0].scrape_timeout', /10s is greater than scrape_interval 5s/],
      ['scrape_configs: [{ job_name: a }, { job_name: a }]', 'scrape_configs[1].job_name', /configured twice/],
      ['scrape_configs: [{ scrape_interval: 1s }]', 'scrape_configs[0].job_name', /job name is required/],
      ['scrape_configs: [{ job_name: a, scheme: ftp }]', 'scrape_configs[0].scheme', /http or https/],
      ['scrape_configs: [{ job_name: a, basic_auth: {} }]', 'scrape_configs[0].basic_auth', /not supported/],
      ['scrape_configs: [{ job_name: a, consul_sd_configs: [] }]', 'scrape_configs[0].consul_sd_configs', /service discovery is not supported/],
      ['scrape_configs: [{ job_name: a, colour: red }]', 'scrape_configs[0].colour', /unknown field/],
      ['scrape_configs: [{ job_name: a, static_configs: [{ targets: [\'http://h/\'] }] }]', 'scrape_configs[0].static_configs[0].targets[0]', /host:port/],
      ['scrape_configs: [{ job_name: a, static_configs: [{ targets: [h], labels: { 1x: y } }] }]', 'scrape_configs[0].static_configs[0].labels.1x', /not a valid label name/],
      ['scrape_configs: [{ job_name: a, file_sd_configs: [{ files: [targets.txt] }] }]', 'scrape_configs[0].file_sd_configs[0].files[0]', /\.json, \.yml or \.yaml/],
      ['scrape_configs: [{ job_name: a, file_sd_configs: [{ files: [\'*/t.json\'] }] }]', 'scrape_configs[0].file_sd_configs[0].files[0]', /glob only in its last path element/],
      ['scrape_configs: [{ job_name: a, relabel_configs: [{ action: replace, source_labels: [a] }] }]', 'scrape_configs[0].relabel_configs[0].target_label', /needs a target_label/],
      ['scrape_configs: [{ job_name: a, relabel_configs: [{ action: keep }] }]', 'scrape_configs[0].relabel_configs[0].source_labels', /needs source_labels/],
      ['scrape_configs: [{ job_name: a, metric_relabel_configs: [{ action: hashmod, source_labels: [a], target_label: b, modulus: 2 }] }]', 'scrape_configs[0].metric_relabel_configs[0].action', /hashmod is not supported/],
      ['scrape_configs: [{ job_name: a, metric_relabel_configs: [{ action: frobnicate }] }]', 'scrape_configs[0].metric_relabel_configs[0].action', /unknown relabel action/],
      ['scrape_configs: [{ job_name: a, metric_relabel_configs: [{ source_labels: [a], regex: "(", target_label: b }] }]', 'scrape_configs[0].metric_relabel_configs[0].regex', /invalid regex/],
      ['scrape_configs: [{ job_name: a, metric_relabel_configs: [{ source_labels: [a], target_label: "1b" }] }]', 'scrape_configs[0].metric_relabel_configs[0].target_label', /not a valid label name/],
      ['global: { scrape_interval: 1s, scrape_timeout: 2s }', 'global.scrape_timeout', /greater than scrape_interval/],
      ['alertmanagers: []', 'alertmanagers', /unknown field/],
    ];
    for (const [yaml, field, reason] of cases) {
      const err = configError(yaml);
      assert.equal(err.field, field, `${yaml}: ${err.message}`);
      assert.match(err.message, reason);
    }
  });

  test('loadScrapeConfig names the file', () => {
    const file = join(dir, 'bad.yml');
    writeFileSync(file, 'scrape_configs: [{ job_name: a, scrape_interval: soon }]\n');
    assert.throws(() => loadScrapeConfig(file), (err: Error) => err.message.startsWith(`${file}: scrape_configs[0].scrape_interval: expected a duration`));
  });
});

describe('relabelling', () => {
  const rules = (yaml: string) => parseRelabelConfigs(parse(yaml), 'r');

  test('replace: defaults, anchored regex, groups, separator, empty result deletes', () => {
    const l = labels({ __address__: 'host-1.example:9100', a: 'x', b: 'y' });
    relabel(
      l,
      rules(`
- { source_labels: [__address__], regex: '([^.]+)\\..*', target_label: host }
- { source_labels: [__address__], regex: 'example', target_label: never }
- { source_labels: [a, b], target_label: ab }
- { source_labels: [a, b], separator: '-', regex: '(.)-(.)', replacement: '\${2}_\${1}_$$', target_label: ba }
# Go reads $1_suffix as \${1_suffix}, an unknown group: empty, so go_expand is not set
- { source_labels: [a], regex: '(.)', replacement: '$1_suffix', target_label: go_expand }
- { source_labels: [nothing], target_label: a }
- { source_labels: [b], regex: 'y', replacement: 'name_$0', target_label: 'lbl_\${0}' }
`),
    );
    assert.deepEqual(Object.fromEntries(l), { __address__: 'host-1.example:9100', b: 'y', host: 'host-1', ab: 'x;y', ba: 'y_x_$', lbl_y: 'name_y' });
  });

  test('keep and drop, on joined source labels', () => {
    const keep = rules("- { action: keep, source_labels: [__name__, mode], regex: 'node_cpu.*;(idle|user)' }");
    assert.equal(relabel(labels({ __name__: 'node_cpu_seconds_total', mode: 'idle' }), keep), true);
    assert.equal(relabel(labels({ __name__: 'node_cpu_seconds_total', mode: 'steal' }), keep), false);
    assert.equal(relabel(labels({ __name__: 'xnode_cpu', mode: 'idle' }), keep), false);
    const drop = rules("- { action: drop, source_labels: [device], regex: 'tap.*|lo' }");
    assert.equal(relabel(labels({ device: 'lo' }), drop), false);
    assert.equal(relabel(labels({ device: 'lo0' }), drop), true);
    assert.equal(relabel(labels({}), rules("- { action: drop, source_labels: [device], regex: '' }")), false); // missing label = empty
  });

  test('labelmap, labeldrop, labelkeep; RE2 named groups and flags', () => {
    const l = labels({ __meta_rack: 'r1', __meta_zone: 'z', keep_me: '1', tmp_x: '2' });
    relabel(
      l,
      rules(`
- { action: labelmap, regex: '__meta_(.+)' }
- { action: labeldrop, regex: 'tmp_.*' }
- { source_labels: [rack], regex: '(?P<letter>[a-z])(?P<digit>\\d)', replacement: '$digit-$letter', target_label: swapped }
- { source_labels: [zone], regex: '(?i)Z', replacement: upper, target_label: zone_case }
`),
    );
    assert.deepEqual(Object.fromEntries(l), { __meta_rack: 'r1', __meta_zone: 'z', keep_me: '1', rack: 'r1', zone: 'z', swapped: '1-r', zone_case: 'upper' });
    relabel(l, rules("- { action: labelkeep, regex: 'rack|zone' }"));
    assert.deepEqual(Object.fromEntries(l), { rack: 'r1', zone: 'z' });
  });

  test("expand follows Go's Regexp.Expand", () => {
    const m = /^(?<first>a)(b)?$/.exec('a') as RegExpExecArray;
    assert.equal(expand('$1|${1}|$2|$first|${first}|$1x|$$|$|${', m), 'a|a||a|a||$|$|${');
  });
});

describe('targets', () => {
  const job = (yaml: string) => config(`scrape_configs: [${yaml}]`).jobs[0];

  test('instance from the address, default port, static labels, URL with params', () => {
    const j = job("{ job_name: node, params: { module: [m1] }, static_configs: [{ targets: ['h1:9100', 'h2'], labels: { env: prod } }] }");
    const { targets, errors } = targetsOfGroup(j, j.staticConfigs[0]);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      targets.map((t) => [t.url, Object.fromEntries(t.labels)]),
      [
        ['http://h1:9100/metrics?module=m1', { env: 'prod', job: 'node', instance: 'h1:9100' }],
        ['http://h2:80/metrics?module=m1', { env: 'prod', job: 'node', instance: 'h2:80' }],
      ],
    );
  });

  test('relabel_configs rewrite, drop and reroute targets', () => {
    const j = job(`{ job_name: node, static_configs: [{ targets: ['a:1', 'b:2', 'c:3'] }], relabel_configs: [
      { action: drop, source_labels: [__address__], regex: 'b:.*' },
      { source_labels: [__address__], regex: '(.*):(.*)', replacement: 'node-$1', target_label: instance },
      { source_labels: [__address__], regex: 'c:3', replacement: 'proxy:8080', target_label: __address__ },
      { source_labels: [__address__], regex: 'proxy.*', replacement: /probe, target_label: __metrics_path__ },
      { source_labels: [instance], regex: 'node-c', replacement: target-c, target_label: __param_target } ] }`);
    const r = targetsOfGroup(j, j.staticConfigs[0]);
    assert.equal(r.dropped, 1);
    assert.deepEqual(
      r.targets.map((t) => [t.url, t.labels.get('instance')]),
      [
        ['http://a:1/metrics', 'node-a'],
        ['http://proxy:8080/probe?target=target-c', 'node-c'],
      ],
    );
  });

  test('per-target interval and a missing address', () => {
    const j = job(`{ job_name: n, scrape_interval: 10s, static_configs: [{ targets: ['a:1', 'b:1'] }], relabel_configs: [
      { source_labels: [__address__], regex: 'a:1', replacement: 20s, target_label: __scrape_interval__ },
      { source_labels: [__address__], regex: 'b:1', replacement: '', target_label: __address__ } ] }`);
    const r = targetsOfGroup(j, j.staticConfigs[0]);
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0], /target b:1: no __address__/);
    assert.equal(r.targets.length, 1);
    assert.equal(r.targets[0].intervalMs, 20_000);
    assert.equal(r.targets[0].timeoutMs, 10_000);
    const tight = job(`{ job_name: n, static_configs: [{ targets: ['a:1'] }], relabel_configs: [
      { target_label: __scrape_interval__, replacement: 1s } ] }`);
    assert.match(targetsOfGroup(tight, tight.staticConfigs[0]).errors[0], /scrape timeout 10s is greater than the interval 1s/);
  });
});

describe('mapping', () => {
  test('resource job@instance as Gnocchi names it; metric names in series notation', () => {
    const r = resourceOf('node', '10.0.0.1:9100', 'admin:');
    assert.equal(r.originalId, 'node@10.0.0.1:9100');
    assert.equal(r.id, resourceUuid('node@10.0.0.1:9100', 'admin:'));
    assert.equal(r.type, 'prometheus');
    assert.deepEqual(r.attributes, { job: 'node', instance: '10.0.0.1:9100' });
    assert.equal(metricNameOf(labels({ __name__: 'up', job: 'node', instance: 'x' })), 'up');
    assert.equal(
      metricNameOf(labels({ mode: 'idle', __name__: 'node_cpu_seconds_total', instance: 'x', cpu: '0', job: 'node' })),
      'node_cpu_seconds_total{cpu="0",mode="idle"}',
    );
    assert.equal(metricNameOf(parseSeries('m{path="/a\\"b"}')), 'm{path="/a\\"b"}');
    const long = labels({ __name__: 'm', a: 'x'.repeat(300) });
    const name = metricNameOf(long);
    assert.equal(name.length, 255);
    assert.match(name, /^m\{a="x+~[0-9a-f]{16}$/);
    assert.equal(metricNameOf(labels({ __name__: 'm', a: 'x'.repeat(300) })), name);
    assert.notEqual(metricNameOf(labels({ __name__: 'm', a: `${'x'.repeat(299)}y` })), name);
    // an instance that Gnocchi could not make an id of still gets a stable one
    const slash = resourceOf('blackbox', 'https://example.org/', 'admin:');
    assert.equal(slash.originalId, 'blackbox@https://example.org/');
    assert.equal(slash.id, resourceOf('blackbox', 'https://example.org/', 'admin:').id);
  });
});

describe('file_sd files', () => {
  test('JSON and YAML target lists, globs in the last element, errors naming the file', () => {
    writeFileSync(join(dir, 'a.json'), JSON.stringify([{ targets: ['h:1'], labels: { rack: 'r1' } }]));
    writeFileSync(join(dir, 'b.yml'), '- targets: [h:2, h:3]\n');
    writeFileSync(join(dir, 'c.txt'), 'ignored');
    writeFileSync(join(dir, 'bad.json'), '[{"targets": "h:4"}]');
    assert.deepEqual(filesOf(join(dir, '[ab].*')), [join(dir, 'a.json'), join(dir, 'b.yml')]);
    assert.deepEqual(filesOf(join(dir, 'a.json')), [join(dir, 'a.json')]);
    assert.deepEqual(readTargetFile(join(dir, 'a.json')), [{ targets: ['h:1'], labels: { rack: 'r1' }, source: join(dir, 'a.json') }]);
    assert.deepEqual(readTargetFile(join(dir, 'b.yml')).map((g) => g.targets), [['h:2', 'h:3']]);
    assert.throws(() => readTargetFile(join(dir, 'bad.json')), new RegExp(`^Error: ${join(dir, 'bad.json')}: \\[0\\]\\.targets: expected a list`));
  });
});
