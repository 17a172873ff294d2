/**
 * Differential test of the Gnocchi v1 API: the same scripted workload goes to
 * tally and to the real Gnocchi 4.4 (Debian packages, test/gnocchi/up.sh), and
 * every answer must be the same JSON with the same status (Gnocchi's answer is
 * the expected one). Ids are mapped by order of creation (compare.ts).
 *
 * Left out, because they break Gnocchi 4.4.2 itself (test/gnocchi/README.md):
 * percentiles (metricd crashes; test/tsdb/gnocchi-diff.test.ts covers them
 * through Gnocchi's own code), `(aggregate count …)` and comparison operators
 * in /v1/aggregates, a measure without a timestamp, a metric on an unknown
 * resource with a name (500 with an empty body, the connection hangs).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GNOCCHI_NEEDS, type RealGnocchi, startRealGnocchi } from '../helpers/real-gnocchi.js';
import { reportCompat } from '../lib/compat.js';
import { requires } from '../lib/requirements.js';
import { type TestServer, startTestServer } from '../helpers/tally-server.js';
import { type Answer, Differ, type Side, call, normalize } from './compare.js';
import { METRICS, POLICIES, buildMeasures } from './workload.js';

// Not 8041: a developer's Gnocchi or `npm start` may hold that one.
const GNOCCHI_PORT = Number(process.env.TALLY_DIFF_GNOCCHI_PORT ?? 28041);
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

test('Gnocchi v1 API: tally answers as the real Gnocchi 4.4 does', { timeout: 240_000, ...requires(...GNOCCHI_NEEDS) }, async (t) => {
  let tallyServer: TestServer | undefined;
  let gnocchi: RealGnocchi | undefined;
  const steps = { alike: 0, total: 0 };
  try {
    [tallyServer, gnocchi] = await Promise.all([
      startTestServer({ auth_mode: 'basic' }),
      startRealGnocchi({ port: GNOCCHI_PORT, log: (line) => t.diagnostic(line) }),
    ]);
    const tally: Side = { url: tallyServer.url, ids: [] };
    const gn: Side = { url: gnocchi.url, ids: [] };
    const d = new Differ(tally, gn);
    const same = d.same.bind(d);

    // A step sends all its requests, then fails with every difference it found.
    const step = async (name: string, fn: () => Promise<unknown>): Promise<boolean> => {
      steps.total++;
      let ok = false;
      await t.test(name, async () => {
        d.take();
        await fn();
        const found = d.take();
        assert.equal(found.length, 0, `${found.length} answer(s) differ (tally is + actual, Gnocchi - expected):\n\n${found.join('\n\n')}`);
        ok = true;
      });
      if (ok) steps.alike++;
      return ok;
    };
    /** A step the rest depends on: the whole test stops when it fails. */
    const setup = async (name: string, fn: () => Promise<unknown>): Promise<void> => {
      if (!(await step(name, fn))) throw new Error(`setup step '${name}' failed; the rest depends on it`);
    };

    // -- archive policies and metrics ------------------------------------------------
    await setup('create archive policies', async () => {
      for (const p of POLICIES) await same('POST', '/v1/archive_policy', p, { expect: 201 });
      for (const p of POLICIES) await same('GET', `/v1/archive_policy/${p.name}`, undefined, { expect: 200 });
    });
    const created: [Answer, Answer][] = [];
    await setup('create metrics', async () => {
      for (const m of METRICS) {
        const [a, b] = await Promise.all([call(tally, 'POST', '/v1/metric', m), call(gn, 'POST', '/v1/metric', m)]);
        assert.equal(b.status, 201, JSON.stringify(b.body));
        assert.equal(a.status, 201, JSON.stringify(a.body));
        tally.ids.push((a.body as { id: string }).id);
        gn.ids.push((b.body as { id: string }).id);
        created.push([a, b]);
      }
    });
    await step('metrics as created and as read', async () => {
      for (const [a, b] of created) d.check(() => assert.deepEqual(normalize(tally, a.body), normalize(gn, b.body), 'POST /v1/metric'));
      for (let k = 0; k < METRICS.length; k++) await same('GET', `/v1/metric/{m${k}}`, undefined, { expect: 200 });
    });
    await step('default archive policies and rule, a metric by rule', async () => {
      for (const name of ['bool', 'low', 'medium', 'high']) await same('GET', `/v1/archive_policy/${name}`);
      await same('GET', '/v1/archive_policy_rule');
      await same('POST', '/v1/metric', {}, { drop: ['id'] }); // Gnocchi's rule "default": * → low
      await same('POST', '/v1/metric', { name: 'disk.usage', unit: 'B' }, { drop: ['id'] });
    });

    // -- measures ------------------------------------------------------------------------
    // Each phase is processed (refresh=true) before the next is sent, so which
    // measures fall outside the back window does not depend on metricd's timing.
    const refresh = async (): Promise<void> => {
      for (let k = 0; k <= 4; k++) await same('GET', `/v1/metric/{m${k}}/measures?refresh=true`, undefined, { expect: 200 });
    };
    const w = buildMeasures();
    await setup('post measures: out of order, duplicates, a batch', async () => {
      for (const chunk of w.m0) await same('POST', '/v1/metric/{m0}/measures', chunk, { expect: 202 });
      await same('POST', '/v1/metric/{m2}/measures', w.m2First, { expect: 202 });
      await same('POST', '/v1/batch/metrics/measures', { '{m1}': w.m1, '{m3}': w.m3 }, { expect: 202 });
      await refresh();
    });
    await setup('post late measures, some outside the back window', async () => {
      await same('POST', '/v1/metric/{m2}/measures', w.m2Late, { expect: 202 });
      await same('POST', '/v1/batch/metrics/measures', { '{m0}': w.m0Late, '{m3}': w.m3Late }, { expect: 202 });
      await refresh();
    });

    // -- reads of one metric -------------------------------------------------------------
    await step('GET measures, every aggregation method and granularity', async () => {
      // guards against comparing two empty answers: all of m0's measures are processed
      const [, g] = await same('GET', '/v1/metric/{m0}/measures?granularity=1', undefined, { expect: 200 });
      assert.ok(Array.isArray(g.body) && g.body.length >= 300, `Gnocchi holds ${Array.isArray(g.body) ? g.body.length : '?'} points of m0 at 1 s`);
      for (let k = 0; k <= 4; k++) await same('GET', `/v1/metric/{m${k}}/measures`, undefined, { expect: 200 });
      for (const agg of POLICIES[0].aggregation_methods) {
        await same('GET', `/v1/metric/{m0}/measures?aggregation=${encodeURIComponent(agg)}&granularity=60`, undefined, { expect: 200 });
        await same('GET', `/v1/metric/{m1}/measures?aggregation=${encodeURIComponent(agg)}`, undefined, { expect: 200 });
      }
      for (const agg of POLICIES[1].aggregation_methods) await same('GET', `/v1/metric/{m2}/measures?aggregation=${agg}`, undefined, { expect: 200 });
      for (const agg of POLICIES[2].aggregation_methods) await same('GET', `/v1/metric/{m3}/measures?aggregation=${encodeURIComponent(agg)}`, undefined, { expect: 200 });
      await same('GET', '/v1/metric/{m0}/measures?aggregation=rate:mean&granularity=3600');
      await same('GET', '/v1/metric/{m0}/measures?granularity=1m');
    });
    await step('GET measures with start and stop', async () => {
      await same('GET', '/v1/metric/{m0}/measures?granularity=1&start=2024-03-01T10:02:00&stop=2024-03-01T10:02:30', undefined, { expect: 200 });
      await same('GET', '/v1/metric/{m0}/measures?start=2024-03-01T10:04:00Z', undefined, { expect: 200 });
      await same('GET', `/v1/metric/{m0}/measures?granularity=60&start=${Date.UTC(2024, 2, 1, 10, 3) / 1000}&stop=2024-03-01T12:05:00%2B02:00`, undefined, { expect: 200 });
      await same('GET', '/v1/metric/{m2}/measures?aggregation=max&stop=2024-03-01T10:20:00', undefined, { expect: 200 });
      await same('GET', '/v1/metric/{m0}/measures?granularity=60&start=2024-03-01T10:05:30'); // mid-bucket
      await same('GET', '/v1/metric/{m0}/measures?granularity=60&stop=2024-03-01T10:05:30');
      await same('GET', '/v1/metric/{m0}/measures?granularity=60&start=2024-03-01T10:09:00&stop=2024-03-01T10:02:00'); // reversed
    });
    await step('GET measures with resample', async () => {
      await same('GET', '/v1/metric/{m0}/measures?granularity=60&resample=300', undefined, { expect: 200 });
      await same('GET', '/v1/metric/{m0}/measures?granularity=1&resample=30&aggregation=sum', undefined, { expect: 200 });
      await same('GET', '/v1/metric/{m2}/measures?granularity=60&resample=3600&aggregation=count', undefined, { expect: 200 });
      await same('GET', '/v1/metric/{m3}/measures?granularity=10&resample=1 minute&aggregation=min', undefined, { expect: 200 });
      await same('GET', '/v1/metric/{m0}/measures?granularity=60&resample=90'); // not a multiple
      await same('GET', '/v1/metric/{m0}/measures?granularity=60&resample=30'); // finer than the granularity
    });

    // -- aggregates across metrics -------------------------------------------------------
    const agg = (query: string, operations: unknown): Promise<[Answer, Answer]> => same('POST', `/v1/aggregates${query}`, { operations });
    await step('aggregates: mean, max, … across metrics', async () => {
      await agg('?granularity=60', '(aggregate mean (metric ({m0} mean) ({m1} mean)))');
      await agg('?granularity=60', '(aggregate max (metric ({m0} max) ({m1} max) ({m3} mean)))');
      await agg('', '(aggregate mean (metric ({m0} mean) ({m1} mean)))');
      await agg('?granularity=1&start=2024-03-01T10:01:00&stop=2024-03-01T10:01:20', '(aggregate sum (metric ({m0} mean) ({m1} mean)))');
      await agg('?granularity=60', ['aggregate', 'mean', ['metric', ['{m0}', 'count'], ['{m1}', 'count']]]);
      for (const method of ['min', 'std', 'median', 'var', 'rate:mean']) await agg('?granularity=60', `(aggregate ${method} (metric ({m0} mean) ({m1} mean) ({m3} mean)))`);
      await same('POST', '/v1/aggregates?granularity=60&details=true', { operations: '(aggregate mean (metric ({m0} mean) ({m1} mean)))' });
      await agg('?granularity=1m', '(metric {m0} max)');
      await agg('?granularity=0:01:00', '(metric {m0} max)');
    });
    await step('aggregates: metric series, arithmetic, rolling, resample', async () => {
      await agg('?granularity=60', '(metric {m0} mean)');
      await agg('?granularity=60', '(metric ({m0} mean) ({m1} max))');
      await agg('', '(metric ({m0} mean) ({m2} mean))');
      await agg('?granularity=60', '(* 2 (metric {m0} mean))');
      await agg('?granularity=60', '(- (metric {m0} max) (metric {m0} min))');
      await agg('?granularity=60', '(+ (metric {m0} mean) (metric {m1} mean))');
      await agg('?granularity=60', '(/ (aggregate sum (metric ({m0} mean) ({m1} mean))) 2)');
      await agg('?granularity=60', '(/ (metric {m0} mean) 0)');
      await agg('?granularity=60', '(abs (- (metric {m1} mean) 50))');
      await agg('?granularity=60', '(neg (metric ({m0} mean) ({m1} mean)))');
      await agg('?granularity=60', '(** (metric {m0} mean) 2)');
      await agg('?granularity=60', '(% (metric {m0} mean) 7)');
      await agg('?granularity=60', '(clip 0 50 (metric {m0} mean))');
      await agg('?granularity=60', '(clip_min (metric {m0} mean) 10)');
      await agg('?granularity=60', '(rateofchange (metric {m0} mean))');
      await agg('?granularity=1&start=2024-03-01T10:00:00&stop=2024-03-01T10:01:00', '(rolling mean 3 (metric {m0} mean))');
      await agg('?granularity=60', '(rolling max 2 (metric ({m0} mean) ({m1} mean)))');
      await agg('?granularity=60', '(rolling rate:max 2 (metric {m0} mean))');
      await agg('?granularity=60', '(rolling mean 1000 (metric {m0} mean))'); // longer than the series: 400
      await agg('?granularity=60', '(resample max 300 (metric ({m0} mean) ({m1} mean)))');
      await agg('?granularity=60', '(resample mean 90 (metric {m0} mean))');
      await agg('?granularity=10', '(resample mean 120 (metric {m3} mean))');
      await agg('?granularity=60', '(aggregate mean (resample mean 300 (metric ({m0} mean) ({m1} mean))))');
    });
    await step('aggregates: fill and needed_overlap over partly overlapping series', async () => {
      const two = '(aggregate mean (metric ({m0} mean) ({m3} mean)))';
      await agg('?granularity=60', two);
      await agg('?granularity=60&fill=0', two);
      await agg('?granularity=60&fill=null', two);
      await agg('?granularity=60&fill=dropna', two);
      await agg('?granularity=60&fill=-1.5', '(metric ({m0} mean) ({m3} mean))');
      await agg('?granularity=60&needed_overlap=0', two);
      await agg('?granularity=60&needed_overlap=50', two);
      await agg('?granularity=60&needed_overlap=100', two);
      await agg('?granularity=60&needed_overlap=100&fill=0', two);
      await agg('?granularity=60&start=2024-03-01T10:03:00&stop=2024-03-01T10:06:00', two);
      await agg('?granularity=60&fill=0', '(aggregate mean (metric ({m0} mean) ({m4} mean)))');
      await agg('?granularity=60&fill=null&needed_overlap=0', '(aggregate mean (metric ({m0} mean) ({m4} mean)))');
      await agg('?granularity=60', '(metric {m4} mean)');
    });

    // -- what a measure may look like ------------------------------------------------------
    await step('measure formats: accepted, rejected, read back', async () => {
      const post = (measures: unknown): Promise<[Answer, Answer]> => same('POST', '/v1/metric/{m5}/measures', measures);
      await post([{ timestamp: '2024-03-01T10:00:00', value: '12.5' }]); // a number in a string
      // not sent: "NaN" (Gnocchi stores it and then answers invalid JSON; tally refuses it, see README)
      await post([{ timestamp: '2024-03-01T10:00:02', value: true }]);
      await post([{ timestamp: '2024-03-01T10:00:03', value: null }]);
      await post([{ timestamp: '2024-03-01T10:00:04', value: 1, extra: 1 }]);
      await post([{ timestamp: '2024-03-01 10:00:05', value: 2 }]);
      await post([{ timestamp: '2024-03-01T10:00:06.123456789Z', value: 3 }]);
      await post([]);
      await post({ timestamp: '2024-03-01T10:00:07', value: 4 });
      await post([{ timestamp: 1709287200, value: 1 }, { timestamp: '2024-03-01T10:00:01', value: 1 }]); // epoch and ISO mixed
      await same('GET', '/v1/metric/{m5}/measures?refresh=true&granularity=1');
      // relative to now: compared as answers only, the points would differ by the clock
      await same('POST', '/v1/metric/{m6}/measures', [{ timestamp: '-10 minutes', value: 1 }]);
      await same('POST', '/v1/metric/{m6}/measures', [{ timestamp: 'now', value: 1 }]);
    });

    // -- resources: typed, non-UUID ids, history, search, batch by resource, grouped aggregates --
    await step('resources: types, ids, history, search, batch by name, aggregates grouped by an attribute', async () => {
      await same('POST', '/v1/resource_type', {
        name: 'vm',
        attributes: { flavor: { type: 'string', required: true, max_length: 16 }, vcpus: { type: 'number', required: false, min: 1 } },
      }, { expect: 201 });
      const vms = [
        { id: 'vm-a', project_id: 'p1', user_id: 'u1', flavor: 'small', vcpus: 2 },
        { id: 'vm-b', project_id: 'p1', user_id: 'u2', flavor: 'large', vcpus: 8 },
        { id: 'vm-c', project_id: 'p2', user_id: 'u1', flavor: 'small' },
      ];
      // same original ids, same creator: the same UUID5 ids on both sides
      for (const vm of vms) {
        const body = { ...vm, started_at: '2024-03-01T00:00:00', metrics: { cpu: { archive_policy_name: 'diff-fine' } } };
        const [a, b] = await Promise.all([call(tally, 'POST', '/v1/resource/vm', body), call(gn, 'POST', '/v1/resource/vm', body)]);
        // its new metric is {mk} from now on, on each side
        tally.ids.push((a.body as { metrics: Record<string, string> }).metrics.cpu);
        gn.ids.push((b.body as { metrics: Record<string, string> }).metrics.cpu);
        d.check(() => assert.deepEqual(normalize(tally, a.body), normalize(gn, b.body), `POST /v1/resource/vm ${vm.id}`));
      }
      await same('POST', '/v1/resource/vm', { id: 'vm-a', flavor: 'x' });
      await same('POST', '/v1/resource/vm', { id: 'vm-d', flavor: 'far-too-long-a-flavor' });
      await same('POST', '/v1/resource/vm', { id: 'vm-d', flavor: 'small', vcpus: 0 });
      await same('POST', '/v1/resource/vm', { id: 'vm-d', vcpus: 2 });
      await same('POST', '/v1/batch/resources/metrics/measures?create_metrics=true', Object.fromEntries(vms.map((vm, i) => [vm.id, {
        cpu: [0, 1, 2].map((k) => ({ timestamp: `2024-03-01T10:0${k}:00`, value: 10 * (i + 1) + k })),
        mem: { archive_policy_name: 'diff-fine', unit: 'B', measures: [{ timestamp: '2024-03-01T10:00:00', value: 512 * (i + 1) }] },
      }])), { expect: 202 });
      // the metrics the resources got, mapped like the others ({mk} by name, resource by resource)
      for (const vm of vms) {
        const [a, b] = await Promise.all([call(tally, 'GET', `/v1/resource/vm/${vm.id}`), call(gn, 'GET', `/v1/resource/vm/${vm.id}`)]);
        for (const name of ['mem']) {
          tally.ids.push((a.body as { metrics: Record<string, string> }).metrics[name]);
          gn.ids.push((b.body as { metrics: Record<string, string> }).metrics[name]);
        }
      }
      // processed on both sides before any aggregate (aggregates do not refresh)
      for (const vm of vms) for (const name of ['cpu', 'mem']) await same('GET', `/v1/resource/vm/${vm.id}/metric/${name}/measures?refresh=true`, undefined, { expect: 200 });
      for (const vm of vms) await same('GET', `/v1/resource/vm/${vm.id}`, undefined, { expect: 200 });
      await same('PATCH', '/v1/resource/vm/vm-a', { flavor: 'medium' }, { expect: 200 });
      await same('PATCH', '/v1/resource/vm/vm-a', { vcpus: 'many' });
      await same('GET', '/v1/resource/vm/vm-a/history', undefined, { expect: 200 });
      await same('GET', '/v1/resource/vm?sort=flavor:desc&sort=id:asc', undefined, { expect: 200 });
      await same('GET', '/v1/resource/generic?details=true&limit=2', undefined, { expect: 200 });
      await same('POST', '/v1/search/resource/vm', { and: [{ '=': { flavor: 'small' } }, { '>=': { vcpus: 1 } }] }, { expect: 200 });
      await same('POST', '/v1/search/resource/vm?filter=' + encodeURIComponent('project_id=p1 and not flavor="large"'), undefined, { expect: 200 });
      await same('POST', '/v1/search/resource/vm', { in: { id: ['vm-b', 'vm-c'] } }, { expect: 200 });
      await same('POST', '/v1/search/resource/vm', { '=': { nope: 1 } });
      await same('POST', '/v1/search/resource/vm', { like: { id: 'vm%' } });
      await same('POST', '/v1/search/resource/vm?filter=' + encodeURIComponent('flavor == small'));
      const ops = '(aggregate mean (metric cpu mean))';
      await same('POST', '/v1/aggregates?groupby=project_id&granularity=60', { operations: ops, resource_type: 'vm', search: 'flavor!="none"' }, { expect: 200 });
      await same('POST', '/v1/aggregates?groupby=project_id&groupby=user_id&granularity=60', { operations: ops, resource_type: 'vm', search: {} }, { expect: 200 });
      await same('POST', '/v1/aggregates?granularity=60', { operations: '(metric (cpu mean) (mem max))', resource_type: 'vm', search: { '=': { project_id: 'p2' } } }, { expect: 200 });
      await same('POST', '/v1/aggregates?granularity=60&details=true', { operations: '(aggregate max (metric c* mean))', resource_type: 'vm', search: { '=': { id: 'vm-b' } } }, { expect: 200 });
      await same('POST', '/v1/aggregates?groupby=nope&granularity=60', { operations: ops, resource_type: 'vm', search: {} });
      await same('POST', '/v1/aggregates?granularity=60', { operations: '(metric nope mean)', resource_type: 'vm', search: {} });
      await same('POST', '/v1/aggregation/resource/vm/metric/cpu?groupby=flavor&granularity=60', undefined, { expect: 200 });
      // by filter through generic (Gnocchi 4.4 deleting through a custom type's table drops every resource of the type)
      await same('DELETE', '/v1/resource/generic', { '=': { project_id: 'p2' } }, { expect: 200 });
      await same('GET', '/v1/resource/vm/vm-c');
    });

    // -- errors ------------------------------------------------------------------------------
    await step('errors: status and body', async () => {
      await same('POST', '/v1/metric', { archive_policy_name: 'no-such-policy' });
      await same('POST', '/v1/metric', { archive_policy_name: 'diff-fine', resource_id: '5f8e7c9a-0000-4000-8000-000000000001' });
      await same('POST', '/v1/archive_policy', { name: 'bad-gran', definition: [{ granularity: 'forever', points: 10 }] });
      await same('POST', '/v1/archive_policy', { name: 'bad-gran2', definition: [{ granularity: '-1', points: 10 }] });
      await same('POST', '/v1/archive_policy', { name: 'bad-gran3', definition: [{ granularity: '1 minute', points: 10 }, { granularity: '60s', points: 20 }] });
      await same('POST', '/v1/archive_policy', { name: 'bad-span', definition: [{ granularity: '1 minute', timespan: '1 hour', points: 10 }] });
      await same('POST', '/v1/archive_policy', { name: 'bad-agg', definition: [{ granularity: 60, points: 10 }], aggregation_methods: ['mean', 'nope'] });
      await same('GET', '/v1/metric/{m0}/measures?granularity=42');
      await same('GET', '/v1/metric/{m0}/measures?granularity=soon');
      await same('GET', '/v1/metric/{m0}/measures?aggregation=nope');
      await same('GET', '/v1/metric/{m0}/measures?aggregation=95pct');
      await same('GET', '/v1/metric/{m0}/measures?resample=60');
      await same('GET', '/v1/metric/{m0}/measures?granularity=60&resample=abc');
      await same('GET', '/v1/metric/{m0}/measures?start=yesterday-ish');
      await same('GET', `/v1/metric/${UNKNOWN_ID}/measures`);
      await same('POST', '/v1/metric/{m0}/measures', [{ timestamp: 'not a date', value: 1 }]);
      await same('POST', '/v1/metric/{m0}/measures', [{ timestamp: '2024-03-01T10:00:00', value: 'abc' }]);
      await same('POST', '/v1/batch/metrics/measures', { '{m0}': [{ timestamp: 'nope', value: 1 }] });
      await same('POST', '/v1/batch/metrics/measures', { '{m0}': { timestamp: '2024-03-01T10:00:00', value: 1 } });
      await same('POST', '/v1/batch/metrics/measures', { [UNKNOWN_ID]: [{ timestamp: '2024-03-01T10:00:00', value: 1 }] });
      await same('POST', '/v1/batch/metrics/measures', { 'not-a-uuid': [] });
      await same('POST', '/v1/batch/metrics/measures', []);
      await same('POST', '/v1/aggregates?granularity=60', { operations: '(aggregate nope (metric {m0} mean))' });
      await same('POST', '/v1/aggregates?granularity=60', { operations: '(aggregate mean (metric {m0} nope))' });
      await same('POST', '/v1/aggregates?granularity=42', { operations: '(metric {m0} mean)' });
      await same('POST', '/v1/aggregates?granularity=60', { operations: `(metric ${UNKNOWN_ID} mean)` });
      await same('POST', '/v1/aggregates?granularity=60', { operations: '(metric {m0} mean' });
      await same('POST', '/v1/aggregates?granularity=60&fill=maybe', { operations: '(metric {m0} mean)' });
      await same('POST', '/v1/aggregates?granularity=300', { operations: '(aggregate mean (metric ({m0} mean) ({m2} mean)))' });
    });

    await step('the JSON text is Python\'s too: floats written 60.0, same key order', async () => {
      const problems = [];
      if (d.floatSpelling.length) problems.push(`${d.floatSpelling.length} answer(s) write a float with an integral value as 60 where Gnocchi writes 60.0, e.g.\n${d.floatSpelling.slice(0, 5).join('\n')}`);
      if (d.otherText.length) problems.push(`${d.otherText.length} answer(s) with the same JSON but other text:\n${d.otherText.slice(0, 10).join('\n')}`);
      assert.equal(problems.length, 0, problems.join('\n\n'));
    });
  } finally {
    if (steps.total > 0) reportCompat(t, 'gnocchi-api', steps.alike, steps.total);
    await Promise.all([tallyServer?.close(), gnocchi?.stop()]);
  }
});
