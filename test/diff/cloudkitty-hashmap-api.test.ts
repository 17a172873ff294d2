/**
 * CloudKitty 17's rating API (modules, hashmap configuration) against the
 * real one: the requests test/cloudkitty/record.py sent to CloudKitty
 * (recorded in test/fixtures/cloudkitty/recorded.json with its answers) are
 * replayed in order against tally's rating routes, and every answer must be
 * the same text — status, body byte for byte, Content-Type, Location — once
 * the ids are replaced by names. Exchanges recorded against the instance
 * with policies go to a second, fresh tally. The few exchanges where tally
 * answers otherwise on purpose are listed with the reason; only their
 * status is checked.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ratingRoutes } from '../../rating/api/rating-routes.js';
import { HashMapStore } from '../../rating/hashmap/hashmap-store.js';
import { migrateRating } from '../../rating/hashmap/schema.js';
import { createHttpApp } from '../../tsdb/api/app.js';
import { pythonJson } from '../../tsdb/api/python-json.js';
import { type Sql, openSql } from '../../tsdb/index/sql.js';
import { indexTargets } from '../helpers/index-targets.js';
import { reportCompat } from '../lib/compat.js';

interface Exchange {
  name: string;
  instance: 'noauth' | 'policy';
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: unknown;
  raw_body?: string;
  status: number;
  response_headers: Record<string, string>;
  response: unknown;
}

interface Recording {
  values: Record<string, string>;
  exchanges: Exchange[];
}

const recording = JSON.parse(readFileSync(new URL('../fixtures/cloudkitty/recorded.json', import.meta.url), 'utf8')) as Recording;

const CLOUDKITTY_500 = 'CloudKitty 17 fails with a 500';
/** Where tally answers otherwise on purpose: only the status is compared, against this one. */
const DIFFERENT: Record<string, { status: number; why: string }> = {
  'create service: name null': { status: 400, why: `${CLOUDKITTY_500} (its database refuses the NULL); tally says the name is missing` },
  'create service: body a list': { status: 400, why: `${CLOUDKITTY_500} ("'list' object has no attribute 'keys'")` },
  'mapping: cost not a number': { status: 400, why: `${CLOUDKITTY_500} ("[<class 'decimal.ConversionSyntax'>]"); tally names the field` },
  'threshold: level not a number': { status: 400, why: `${CLOUDKITTY_500} ("[<class 'decimal.ConversionSyntax'>]"); tally names the field` },
  'mapping: cost too large for the column': { status: 400, why: 'CloudKitty says "No mapping type: flat"; tally names the field and the limit' },
  'threshold: level too large': { status: 400, why: 'CloudKitty says "No mapping type: flat"; tally names the field and the limit' },
  'mappings without a filter': { status: 400, why: `${CLOUDKITTY_500} for this client error; tally answers 400 with the same text` },
  'thresholds without a filter': { status: 400, why: `${CLOUDKITTY_500} for this client error; tally answers 400 with the same text` },
  'noauth: member lists services': { status: 403, why: 'CloudKitty checks no policy with auth_strategy noauth; tally applies its policies to the identity headers in every mode' },
  'noauth: member creates a group': { status: 403, why: 'CloudKitty checks no policy with auth_strategy noauth; tally applies its policies to the identity headers in every mode' },
  'noauth: member lists modules': { status: 403, why: 'CloudKitty checks no policy with auth_strategy noauth; tally applies its policies to the identity headers in every mode' },
  'policy: no identity': { status: 200, why: "tally's noauth mode makes a caller without identity headers admin" },
};

/** Answers listing the modules: tally offers hashmap and noop, not pyscripts (it runs Python scripts). */
const MODULE_LISTS = new Set(['modules', 'modules after updates', 'policy: admin lists modules']);

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** A tally with only the rating routes, on a fresh database. */
async function startTally(target: string): Promise<{ app: FastifyInstance; sql: Sql }> {
  const sql = await openSql(target);
  await migrateRating(sql);
  const app = await createHttpApp({ authMode: 'noauth', maxLimit: 1000 });
  await app.register(ratingRoutes, { store: new HashMapStore(sql) });
  await app.ready();
  return { app, sql };
}

const fill = (text: string, vals: Record<string, string>): string => text.replace(/\{\{([^}]+)\}\}/g, (_, k: string) => vals[k] ?? `{{${k}}}`);

/** Ids by name, other UUIDs and the host as placeholders. */
function normalise(text: string, vals: Record<string, string>): string {
  for (const [name, id] of Object.entries(vals)) if (id) text = text.split(id).join(`<${name}>`);
  return text.replace(UUID, '<uuid>').replace(/^https?:\/\/[^/]+/, '<host>');
}

/** Replays every exchange; returns what differs, and how many exchanges differ. */
async function replay(apps: Record<Exchange['instance'], FastifyInstance>): Promise<{ differences: string[]; differing: number }> {
  const values: Record<string, string> = {};
  const differences: string[] = [];
  const differing = new Set<string>();
  for (const ex of recording.exchanges) {
    const differ = (text: string): void => {
      differences.push(text);
      differing.add(ex.name);
    };
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(ex.headers)) headers[k.toLowerCase()] = v;
    // python-requests sends Accept: */* when told nothing
    headers.accept ??= '*/*';
    const payload = ex.raw_body !== undefined ? ex.raw_body : ex.body !== undefined ? fill(JSON.stringify(ex.body), values) : undefined;
    const res = await apps[ex.instance].inject({ method: ex.method as 'GET', url: fill(ex.path, values), headers, payload });
    const text = res.body;
    // the ids CloudKitty made: tally's under the same names
    if (ex.status === 201 && res.statusCode === 201) {
      const answer = ex.response as Record<string, string>;
      // the first key of CloudKitty's answer is the new resource's id
      const key = Object.keys(answer)[0];
      const name = key ? Object.entries(recording.values).find(([, id]) => id === answer[key])?.[0] : undefined;
      if (key && name) values[name] = (JSON.parse(text) as Record<string, string>)[key];
    }
    const known = DIFFERENT[ex.name];
    if (known) {
      if (res.statusCode !== known.status) differ(`${ex.name}: status ${res.statusCode}, expected ${known.status} (${known.why}): ${text.slice(0, 300)}`);
      continue;
    }
    if (res.statusCode !== ex.status) {
      differ(`${ex.name}: status ${res.statusCode} (CloudKitty ${ex.status}): ${text.slice(0, 300)}`);
      continue;
    }
    let expectedBody = ex.response;
    if (MODULE_LISTS.has(ex.name)) {
      const list = expectedBody as { modules: { module_id: string }[] };
      expectedBody = { modules: list.modules.filter((m) => m.module_id !== 'pyscripts') };
    }
    // the recorded JSON as CloudKitty's json.dumps wrote it; other bodies as they came
    const contentType = ex.response_headers['Content-Type'] ?? '';
    const expected = normalise(contentType.startsWith('application/json') ? pythonJson(expectedBody) : String(expectedBody), recording.values);
    const actual = normalise(text, values);
    if (actual !== expected) differ(`${ex.name}:\n  tally:      ${actual.slice(0, 1500)}\n  cloudkitty: ${expected.slice(0, 1500)}`);
    const type = String(res.headers['content-type'] ?? '');
    if (contentType !== '' ? !type.startsWith(contentType.split(';')[0]) : type !== '' && text !== '') differ(`${ex.name}: Content-Type ${type}, CloudKitty ${contentType}`);
    const location = ex.response_headers.Location;
    if (location !== undefined) {
      const want = normalise(location, recording.values);
      const have = normalise(String(res.headers.location ?? ''), values);
      if (want !== have) differ(`${ex.name}: Location ${have}, CloudKitty ${want}`);
    }
  }
  return { differences, differing: differing.size };
}

// the rating tables on both databases an index can live on: embedded PGlite and a PostgreSQL server
describe('the rating API answers as the real CloudKitty 17 does', () => {
  const targets = indexTargets();
  after(async () => {
    for (const target of targets) await target.cleanup();
  });
  for (const target of targets) {
    it(`with the tables on ${target.driver}`, async (t) => {
      const noauth = await startTally(await target.create());
      const policy = await startTally(await target.create());
      try {
        const { differences, differing } = await replay({ noauth: noauth.app, policy: policy.app });
        const total = recording.exchanges.length;
        reportCompat(t, 'cloudkitty-hashmap-api', total - differing, total, `tables on ${target.driver}`);
        t.diagnostic(`${total} exchanges replayed; ${Object.keys(DIFFERENT).length} differ on purpose (their status checked)`);
        assert.deepEqual(differences, []);
      } finally {
        for (const s of [noauth, policy]) {
          await s.app.close();
          await s.sql.close();
        }
      }
    });
  }
});
