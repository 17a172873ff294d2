/**
 * tally's hashmap pricing against CloudKitty 17's own: generated rule sets
 * (services, fields, groups, flat and rate mappings, service and field
 * thresholds, rules of one project) are created through the real
 * CloudKitty's API and through tally's rating routes, then generated usage
 * points are priced by CloudKitty's HashMap class (test/cloudkitty/price.py,
 * over the real instance's database) and by tally's pricing function over
 * tally's store. Every price must be the same decimal, digit for digit, and
 * where CloudKitty fails on a point, tally must refuse it too.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ratingRoutes } from '../../rating/api/rating-routes.js';
import { Decimal } from '../../rating/decimal.js';
import { HashMapStore } from '../../rating/hashmap/hashmap-store.js';
import { pricePoint, pricingTable, UnpriceableError } from '../../rating/hashmap/pricing.js';
import { migrateRating } from '../../rating/hashmap/schema.js';
import { createHttpApp } from '../../tsdb/api/app.js';
import { openSql } from '../../tsdb/index/sql.js';
import { prng } from '../helpers/prng.js';
import { CLOUDKITTY_NEEDS, startRealCloudKitty } from '../helpers/real-cloudkitty.js';
import { runCommand } from '../helpers/run-script.js';
import { reportCompat } from '../lib/compat.js';
import { requires } from '../lib/requirements.js';

const PRICE = fileURLToPath(new URL('../cloudkitty/price.py', import.meta.url));
const CK_PORT = 28895;
const RULE_SETS = 8;
const POINTS_PER_SET = 60;
const PROJECTS = ['a1a1a1a1a1a14a1a8a1a1a1a1a1a1a1a', 'b2b2b2b2b2b24b2b8b2b2b2b2b2b2b2b'];
const SERVICES = ['instance', 'volume.size', 'image.size'];
const FIELDS = ['flavor_name', 'volume_type', 'size'];
const VALUES = ['m1.small', 'm1.large', 'ssd', 'hdd', '1', '2', '10'];

interface Case {
  tenant: string | null;
  service: string;
  qty: string;
  groupby: Record<string, string>;
  metadata: Record<string, string>;
}

test("tally prices usage points as CloudKitty 17's hashmap module does", { timeout: 600_000, ...requires(...CLOUDKITTY_NEEDS) }, async (t) => {
  const random = prng(20261116);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const chance = (p: number): boolean => random() < p;
  // few digits mostly (exact products), now and then a float's 28 digits
  const amount = (): string | number => (chance(0.15) ? pick([0.9, 0.1, 1.1, 0.3]) : pick(['0.5', '2', '1.25', '0.8', '3', '0.002', '10', '-1', '0']));
  const levelOf = (): string => pick(['0', '1', '5', '10', '50', '100', '0.5']);

  const ck = await startRealCloudKitty({ port: CK_PORT, collector: 'gnocchi', fetcher: 'source', log: (l) => t.diagnostic(l) });
  const dir = mkdtempSync(join(tmpdir(), 'tally-pricing-'));
  const sql = await openSql(join(dir, 'index'));
  await migrateRating(sql);
  const store = new HashMapStore(sql);
  const app = await createHttpApp({ authMode: 'noauth', maxLimit: 1000 });
  await app.register(ratingRoutes, { store });
  await app.ready();

  let cases = 0;
  let agree = 0;
  // how much the cases exercise: points with a price, and points both refuse
  let priced = 0;
  let refused = 0;
  const differences: string[] = [];
  try {
    for (let set = 0; set < RULE_SETS; set++) {
      // the same request to both; CloudKitty's ids mapped to tally's
      const ids = new Map<string, string>();
      const send = async (method: string, path: string, body?: Record<string, unknown>): Promise<Record<string, string> | null> => {
        const url = `/v1/rating/module_config/hashmap/${path}`;
        const r = await fetch(`${ck.url}${url}`, { method, headers: { 'content-type': 'application/json', accept: 'application/json' }, body: body && JSON.stringify(body) });
        const text = await r.text();
        const mapped = body && JSON.parse(JSON.stringify(body).replace(/[0-9a-f-]{36}/g, (id) => ids.get(id) ?? id));
        const mine = await app.inject({ method: method as 'POST', url: url.replace(/[0-9a-f-]{36}/g, (id) => ids.get(id) ?? id), headers: { 'content-type': 'application/json' }, payload: mapped && JSON.stringify(mapped) });
        assert.equal(mine.statusCode, r.status, `${method} ${path} ${JSON.stringify(body)}: tally ${mine.statusCode} ${mine.body}, CloudKitty ${r.status} ${text}`);
        if (r.status !== 201) return null;
        const theirs = JSON.parse(text) as Record<string, string>;
        const ours = JSON.parse(mine.body) as Record<string, string>;
        const key = Object.keys(theirs)[0];
        ids.set(theirs[key], ours[key]);
        return theirs;
      };

      // a clean slate: the services (their fields and rules go with them) and the groups
      const listed = (await (await fetch(`${ck.url}/v1/rating/module_config/hashmap/services`)).json()) as { services: { service_id: string }[] };
      for (const s of listed.services) await fetch(`${ck.url}/v1/rating/module_config/hashmap/services/${s.service_id}`, { method: 'DELETE' });
      const groupsListed = (await (await fetch(`${ck.url}/v1/rating/module_config/hashmap/groups`)).json()) as { groups: { group_id: string }[] };
      for (const g of groupsListed.groups) await fetch(`${ck.url}/v1/rating/module_config/hashmap/groups/${g.group_id}?recursive=true`, { method: 'DELETE' });
      for (const s of await store.listServices()) await store.deleteService(s.serviceId);
      for (const g of await store.listGroups()) await store.deleteGroup(g.groupId, true);

      const groups: string[] = [];
      for (const name of ['g1', 'g2'].slice(0, Math.floor(random() * 3))) groups.push((await send('POST', 'groups', { name }))!.group_id);
      const rule = (): Record<string, unknown> => ({
        cost: amount(),
        type: chance(0.5) ? 'flat' : 'rate',
        ...(groups.length > 0 && chance(0.5) ? { group_id: pick(groups) } : {}),
        ...(chance(0.3) ? { tenant_id: pick(PROJECTS) } : {}),
      });
      const fieldNames = new Map<string, string[]>();
      const thresholdFields = new Set<string>();
      for (const serviceName of SERVICES.slice(0, 1 + Math.floor(random() * SERVICES.length))) {
        const serviceId = (await send('POST', 'services', { name: serviceName }))!.service_id;
        for (let i = 0, n = Math.floor(random() * 3); i < n; i++) await send('POST', 'mappings', { service_id: serviceId, ...rule() });
        for (let i = 0, n = Math.floor(random() * 3); i < n; i++) await send('POST', 'thresholds', { service_id: serviceId, level: levelOf(), ...rule() });
        const names: string[] = [];
        for (const fieldName of FIELDS) {
          if (!chance(0.5)) continue;
          names.push(fieldName);
          const fieldId = (await send('POST', 'fields', { service_id: serviceId, name: fieldName }))!.field_id;
          for (let i = 0, n = Math.floor(random() * 4); i < n; i++) await send('POST', 'mappings', { field_id: fieldId, value: pick(VALUES), ...rule() });
          if (chance(0.3)) {
            thresholdFields.add(fieldName);
            for (let i = 0, n = 1 + Math.floor(random() * 2); i < n; i++) await send('POST', 'thresholds', { field_id: fieldId, level: levelOf(), ...rule() });
          }
        }
        fieldNames.set(serviceName, names);
      }

      const points: Case[] = [];
      for (let i = 0; i < POINTS_PER_SET; i++) {
        const service = chance(0.9) ? pick(SERVICES) : 'network';
        const desc = (): Record<string, string> => {
          const d: Record<string, string> = {};
          for (const f of FIELDS) {
            if (!chance(0.6)) continue;
            // a field with thresholds gets numbers, now and then something else (CloudKitty fails then)
            d[f] = thresholdFields.has(f) && chance(0.95) ? pick(['0', '1', '2', '7.5', '10', '60', '200']) : pick(VALUES);
          }
          return d;
        };
        points.push({ tenant: pick([null, ...PROJECTS]), service, qty: pick(['1', '0', '2.5', '10', '49.99', '50', '100', '3600', '0.001']), groupby: desc(), metadata: desc() });
      }
      const file = join(dir, `points-${set}.json`);
      writeFileSync(file, JSON.stringify(points));
      const theirs = JSON.parse(await runCommand('/usr/bin/python3', [PRICE, ck.config, file])) as (string | { error: string })[];

      const rules = await store.rules();
      const tables = new Map<string | null, ReturnType<typeof pricingTable>>();
      points.forEach((p, i) => {
        let table = tables.get(p.tenant);
        if (!table) tables.set(p.tenant, (table = pricingTable(rules, p.tenant)));
        let ours: string;
        try {
          ours = pricePoint(table, { service: p.service, qty: Decimal.parse(p.qty)!, groupby: p.groupby, metadata: p.metadata }).toString();
        } catch (err) {
          if (!(err instanceof UnpriceableError)) throw err;
          ours = 'refused';
        }
        const expected = typeof theirs[i] === 'string' ? theirs[i] : 'refused';
        cases++;
        if (expected === 'refused') refused++;
        else if (Decimal.parse(expected)?.isZero() === false) priced++;
        if (ours === expected) agree++;
        else differences.push(`set ${set} point ${i} ${JSON.stringify(p)}: tally ${ours}, CloudKitty ${JSON.stringify(theirs[i])}`);
      });
    }
    reportCompat(t, 'cloudkitty-hashmap-pricing', agree, cases);
    t.diagnostic(`${cases} points over ${RULE_SETS} rule sets: ${priced} with a price, ${refused} refused by both`);
    assert.ok(priced > cases / 5 && refused > 0, 'the generated cases exercise too little');
    assert.deepEqual(differences.slice(0, 20), []);
  } finally {
    await app.close();
    await sql.close();
    await ck.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
