/**
 * The JSONPath dialect against jsonpath-rw-ext itself (through Ceilometer's
 * parser): every path of the fixture definition files, and the corners of the
 * grammar, over the corpus notifications and samples. Same values, same
 * match paths; what fails to parse there fails here.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { parseJsonPath, pathOf } from '../../collector/definitions/jsonpath.js';
import { toNotification } from '../../collector/notification.js';
import { reportCompat } from '../lib/compat.js';
import { requires } from '../lib/requirements.js';
import { CEILOMETER_DEFINITIONS } from '../helpers/notification-corpus.js';

const CORPUS = join(import.meta.dirname, '../fixtures/notifications');
const ORACLE = join(import.meta.dirname, '../oracle/ceilometer_jsonpath.py');

/** Every string under the keys that hold JSONPaths in the three definition files. */
function definitionPaths(): string[] {
  const out = new Set<string>();
  const walk = (v: unknown, key: string): void => {
    if (typeof v === 'string') {
      if (!['event_type', 'type', 'lookup', 'plugin', 'resource_type', 'name', 'unit', 'event_create', 'event_delete', 'event_update', 'archive_policy_name'].includes(key) || v.includes('$')) out.add(v);
      return;
    }
    if (Array.isArray(v)) v.forEach((x) => walk(x, key));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  const meters = parse(readFileSync(join(CEILOMETER_DEFINITIONS, 'meters.yaml'), 'utf8'), { merge: true }) as { metric: unknown[] };
  walk(meters.metric, '');
  const events = parse(readFileSync(join(CEILOMETER_DEFINITIONS, 'event_definitions.yaml'), 'utf8'), { merge: true }) as { traits?: unknown }[];
  for (const e of events) walk(e.traits, '');
  const resources = parse(readFileSync(join(CEILOMETER_DEFINITIONS, 'gnocchi_resources.yaml'), 'utf8')) as { resources: { attributes?: unknown }[] };
  for (const r of resources.resources) walk(r.attributes ?? {}, '');
  return [...out];
}

const CORNERS = [
  'ctxt.user_id|ctxt.user',
  'ctxt.project_id|ctxt.tenant_id',
  '$.payload.a + "_" + $.payload.b',
  '$.payload.n * 2 + 1',
  '2 * $.payload.n + 1',
  '$.payload.list[1]',
  '$.payload.list[-1]',
  '$.payload.list[1:3]',
  '$.payload.list[:2]',
  '$.payload.list[*]',
  '$.payload.scalar.[*]',
  '$.payload.obj.[*]',
  '$.payload.obj.*',
  '$.payload.*',
  '$.payload.items[?(@.k=1)].v',
  "$.payload.items[?(@.k='x')].v",
  '$.payload.items[?(@.k>1)].v',
  '$.payload.items[?(@.k!=2)].v',
  '$.payload.items[?(@.flag=true)].v',
  '$.payload.items[?(@.k=1 & @.v=10)]',
  "$.payload.items[?(@.s~'ab')].v",
  '$.payload.items[?k=2].v',
  '$.payload.items[?(@.v)].k',
  '$.payload..v',
  '$.payload.items[*] where flag',
  '$.payload.items.`len`',
  '$.payload.list.`sorted`',
  '$.payload.items[/v]',
  '$.payload.items[\\v]',
  '$.payload.host.`split(-, 1, -1)`',
  "$.payload.host.`sub(/compute-(\\d+)/, node\\1)`",
  '$.payload.obj.x.`parent`',
  '(payload.missing)|(payload.a)',
  '$.payload.a * 3',
  '$.payload.f * 100',
  "$.payload.a + 'x'",
  'payload.a,b',
  '$.payload.list[0].x',
  '$.payload."quoted key"',
  '$.payload.a +',
  '$.payload[',
  '$..a',
];

const SAMPLE_DOC = {
  payload: {
    a: 'alpha',
    b: 'beta',
    n: 4,
    f: 0.25,
    scalar: 'one',
    host: 'compute-12-b',
    list: [3, 1, 2],
    obj: { x: 1, y: [1, 2] },
    items: [
      { k: 1, v: 10, s: 'abc', flag: true },
      { k: '2', v: 20, s: 'xyz', flag: false },
      { k: 'x', v: null, s: 'abz' },
    ],
    'quoted key': 'q',
  },
  ctxt: { user: 'u', user_id: 'uid', project_id: 'p' },
};

describe('JSONPath dialect vs jsonpath-rw-ext', requires('python3-jsonpath-rw-ext', 'python3-ceilometer'), () => {
  it('finds the same values at the same paths', (t) => {
    const docs: unknown[] = [SAMPLE_DOC];
    for (const f of readdirSync(CORPUS).filter((x) => x.endsWith('.json'))) {
      for (const raw of JSON.parse(readFileSync(join(CORPUS, f), 'utf8')) as unknown[]) {
        try {
          docs.push(toNotification(raw).message);
        } catch {
          // not a notification: nothing to look into
        }
      }
      for (const samples of JSON.parse(readFileSync(join(CORPUS, 'expected', f), 'utf8')) as unknown[][]) docs.push(...samples);
    }
    const cases = [
      ...definitionPaths().flatMap((expr) => docs.map((doc) => ({ expr, doc }))),
      ...CORNERS.map((expr) => ({ expr, doc: SAMPLE_DOC as unknown })),
    ];
    const oracle = JSON.parse(
      execFileSync('/usr/bin/python3', [ORACLE], { input: JSON.stringify({ cases }), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }),
    ) as ({ values: unknown[]; paths: string[] } | { error: string })[];
    let compared = 0;
    let found = 0;
    const differences: string[] = [];
    cases.forEach(({ expr, doc }, i) => {
      const want = oracle[i];
      let got: { values: unknown[]; paths: string[] } | { error: string };
      try {
        const matches = parseJsonPath(expr).find(doc);
        got = { values: matches.map((m) => m.value), paths: matches.map(pathOf) };
      } catch (err) {
        got = { error: String(err) };
      }
      if ('error' in want) {
        // parse errors must be errors here too; Python's run-time exceptions are not part of the contract
        if (/Parse error|Lexer|Unexpected/.test(want.error)) {
          compared++;
          if (!('error' in got)) differences.push(`${expr}: jsonpath-rw-ext refuses it (${want.error}), tally found ${JSON.stringify(got)}`);
        }
        return;
      }
      compared++;
      if (want.values.length > 0) found++;
      if (!isDeepStrictEqual(got, want)) differences.push(`${expr} on doc #${docs.indexOf(doc)}: tally ${JSON.stringify(got).slice(0, 300)}, jsonpath-rw-ext ${JSON.stringify(want).slice(0, 300)}`);
    });
    reportCompat(t, 'ceilometer-jsonpath', compared - differences.length, compared);
    assert.deepEqual(differences.slice(0, 20), [], `${differences.length} of ${compared} differ`);
    assert.ok(compared > 1000 && found > 500, `only ${compared} comparisons, ${found} with matches`);
    t.diagnostic(`${compared} expression/document pairs compared, ${found} with matches`);
  });
});
