/**
 * Differential tests: the same measures go through Gnocchi 4.4's own storage
 * and aggregation code (the oracle) and through tally's engine; every read
 * and cross-metric aggregate must agree to 1e-9.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeArchivePolicy } from '../../tsdb/archive-policy.js';
import { type CrossResult, type Fill, type Point, aggregateAcross } from '../../tsdb/cross-aggregate.js';
import { Engine } from '../../tsdb/engine.js';
import { UnaggregableSeriesError } from '../../tsdb/errors.js';
import type { OperationNode } from '../../tsdb/operations.js';
import {
  type OracleCase,
  type OraclePoint,
  type OracleResult,
  oracleNumber,
  runOracle,
} from '../helpers/gnocchi-oracle.js';
import { prng } from '../helpers/prng.js';
import { reportCompat } from '../lib/compat.js';
import { requires } from '../lib/requirements.js';

const S = 1_000_000; // µs per second
const T0 = Date.UTC(2024, 2, 1, 10, 0, 0) * 1000;


const METHODS = [
  'mean', 'sum', 'min', 'max', 'count', 'first', 'last', 'std', 'median', '5pct', '50pct', '95pct', '99pct',
  'rate:mean', 'rate:sum', 'rate:max', 'rate:last', 'rate:count', 'rate:std', 'rate:95pct',
];

/** The shared cases: policies, batches (as metricd would process them), reads and aggregates. */
function buildCase(): OracleCase {
  const rand = prng(20240301);
  const c: OracleCase = { metrics: {}, reads: [], aggregates: [] };

  // Regular 10 s series with a random walk, in 4 in-order batches.
  const walk = (start: number, n: number, step: number, jitter: number): [number, number][] => {
    const out: [number, number][] = [];
    let v = 50;
    for (let i = 0; i < n; i++) {
      v += rand() * 10 - 5;
      out.push([start + i * step + Math.floor(rand() * jitter), Math.round(v * 1000) / 1000]);
    }
    return out;
  };
  const policy = { back_window: 0, aggregation_methods: METHODS, definition: [{ granularity: 60, timespan: 3600 }, { granularity: 300 }, { granularity: 3600, points: 48 }] };
  const a = walk(T0, 1200, 10 * S, 0);
  c.metrics.a = { policy, batches: [a.slice(0, 300), a.slice(300, 600), a.slice(600, 900), a.slice(900)] };

  // Irregular timestamps (µs jitter), shuffled batches, duplicates inside a batch and across batches.
  const b = walk(T0 + 7 * S, 900, 13 * S, 9 * S);
  const shuffle = <T,>(xs: T[]): T[] => {
    const ys = xs.slice();
    for (let i = ys.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [ys[i], ys[j]] = [ys[j], ys[i]]; }
    return ys;
  };
  const b1 = shuffle(b.slice(0, 450));
  b1.push([b[10][0], -1000], [b[11][0], 1000]); // same timestamp twice in one batch
  const b2 = shuffle(b.slice(450));
  b2.push([b[449][0], 777]); // overrides a processed point, still within the block
  c.metrics.b = { policy, batches: [b1, b2] };

  // Back window: late measures within it are folded in, older ones are dropped.
  const bwPolicy = { back_window: 1, aggregation_methods: ['mean', 'count', 'max', 'rate:mean', 'last'], definition: [{ granularity: 60 }, { granularity: 600, timespan: 6000 }] };
  const late = walk(T0, 400, 5 * S, 0);
  c.metrics.late = {
    policy: bwPolicy,
    batches: [
      late.slice(200, 400), // newest first: the block is now T0+1000 s onwards
      late.slice(100, 200), // within the back window of one 600 s block: kept
      late.slice(0, 100), // older than the back window: dropped
      [[T0 + 2100 * S, 5], [T0 + 1990 * S, 6]],
    ],
  };
  const zeroBw = { ...bwPolicy, back_window: 0 };
  c.metrics.strict = { policy: zeroBw, batches: [late.slice(200, 400), late.slice(0, 200), [[T0 + 1999 * S, 1]]] };

  // A coarse metric and two that only partly overlap, for cross-metric aggregation.
  const crossPolicy = { back_window: 0, aggregation_methods: ['mean', 'max', 'min', 'sum', 'count'], definition: [{ granularity: 60 }, { granularity: 300 }] };
  c.metrics.c1 = { policy: crossPolicy, batches: [walk(T0, 360, 10 * S, 0)] };
  c.metrics.c2 = { policy: crossPolicy, batches: [walk(T0 + 1200 * S, 360, 10 * S, 4 * S)] };
  c.metrics.c3 = { policy: crossPolicy, batches: [walk(T0 + 300 * S, 200, 20 * S, 0).filter(() => rand() > 0.2)] };
  c.metrics.c4 = { policy: crossPolicy, batches: [walk(T0 + 5000 * S, 100, 10 * S, 0)] };

  // Reads: every method at every granularity, plus from/to windows and resampling.
  for (const [name, m] of Object.entries(c.metrics)) {
    for (const method of m.policy.aggregation_methods) {
      for (const d of m.policy.definition) c.reads.push({ metric: name, method, granularity: d.granularity, from: null, to: null, resample: null });
    }
  }
  for (const method of ['mean', 'max', 'count', 'std', '95pct', 'rate:mean', 'median']) {
    c.reads.push({ metric: 'a', method, granularity: 60, from: T0 + 3000 * S + 7 * S, to: T0 + 9000 * S, resample: null });
    c.reads.push({ metric: 'a', method, granularity: 60, from: null, to: null, resample: 900 });
    c.reads.push({ metric: 'b', method, granularity: 300, from: T0 + 1234 * S, to: null, resample: 3600 });
    c.reads.push({ metric: 'a', method, granularity: 300, from: T0 + 4000 * S, to: T0 + 8000 * S, resample: 1800 });
  }

  const agg = (operations: unknown, extra: Partial<OracleCase['aggregates'][number]> = {}): void => {
    c.aggregates.push({ operations, from: null, to: null, granularities: null, needed_overlap: 100, fill: null, ...extra });
  };
  const m = (n: string, method = 'mean'): string[] => [n, method];
  agg(['aggregate', 'mean', ['metric', m('c1'), m('c3')]], { needed_overlap: 0 });
  agg(['aggregate', 'sum', ['metric', m('c1'), m('c2')]], { fill: 0 });
  agg(['aggregate', 'max', ['metric', m('c1', 'max'), m('c2', 'max'), m('c3', 'max')]], { fill: 'null' });
  agg(['aggregate', 'count', ['metric', m('c1'), m('c2')]], { fill: 'dropna' });
  agg(['aggregate', 'rate:mean', ['metric', m('c1'), m('c3')]], { fill: -1 });
  agg(['aggregate', 'median', ['metric', m('c1'), m('c2'), m('c3')]], { fill: 0, granularities: [300] });
  agg(['aggregate', 'std', ['metric', m('c1'), m('c2'), m('c3')]], { fill: 'null', from: T0 + 1500 * S, to: T0 + 3000 * S });
  agg(['rolling', 'mean', 3, ['metric', m('c1'), m('c2')]], { fill: 0 });
  agg(['rolling', 'rate:max', 4, ['aggregate', 'sum', ['metric', m('c1'), m('c2')]]], { fill: 0 });
  agg(['*', ['metric', 'c1', 'mean'], 2]);
  agg(['-', ['metric', 'c1', 'mean'], ['metric', 'c1', 'max']]);
  agg(['/', ['aggregate', 'sum', ['metric', m('c1'), m('c3')]], ['aggregate', 'count', ['metric', m('c1'), m('c3')]]], { needed_overlap: 10 });
  agg(['abs', ['neg', ['metric', m('c1'), m('c2')]]], { fill: 0 });
  agg(['resample', 'mean', 900, ['metric', m('c1'), m('c2')]], { fill: 0, granularities: [300] });
  agg(['rateofchange', ['metric', m('c1', 'max')]]);
  agg(['clip', ['metric', m('c1'), m('c2')], 40, 60], { fill: 0 });
  agg(['aggregate', 'mean', ['metric', m('c1'), m('c2')]], { needed_overlap: 30 });
  agg(['aggregate', 'mean', ['metric', m('c1'), m('c2')]]); // trimmed to the common span: all overlap
  agg(['aggregate', 'mean', ['metric', m('c1'), m('c2')]], { from: T0, to: T0 + 4800 * S }); // too little overlap: an error
  agg(['aggregate', 'mean', ['metric', m('c1'), m('c4')]], { needed_overlap: 0 }); // disjoint, overlap not needed
  agg(['aggregate', 'mean', ['metric', m('c1'), m('c4')]]); // disjoint: 'No overlap' error
  agg(['aggregate', 'mean', ['metric', m('c1'), m('c2')]], { from: T0 + 1300 * S, to: T0 + 3400 * S, needed_overlap: 50 });
  agg(['metric', m('c1'), m('c3')], { needed_overlap: 0, granularities: [60] });
  return c;
}

function close(actual: number, expected: number): boolean {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  if (!Number.isFinite(expected)) return actual === expected;
  return Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected));
}

function comparePoints(label: string, actual: Point[], expected: OraclePoint[]): void {
  assert.equal(actual.length, expected.length, `${label}: ${actual.length} points, Gnocchi has ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const [t, g, v] = expected[i];
    assert.equal(actual[i][0], t, `${label}[${i}] timestamp`);
    assert.equal(actual[i][1], Math.round(g * S), `${label}[${i}] granularity`);
    assert.ok(close(actual[i][2], oracleNumber(v)), `${label}[${i}] @${new Date(t / 1000).toISOString()}: ${actual[i][2]} vs Gnocchi ${v}`);
  }
}

function toOracleShape(r: CrossResult): Record<string, unknown> {
  if (r.kind === 'aggregated') return { aggregated: r.points };
  const out: Record<string, Record<string, Point[]>> = {};
  if (r.kind === 'metrics') for (const [name, byMethod] of r.series) out[name] = Object.fromEntries(byMethod);
  return out;
}

/** Runs every case, whatever the others do: the messages of those that fail. */
function eachCase<T>(cases: readonly T[], check: (c: T, i: number) => void): string[] {
  const failures: string[] = [];
  cases.forEach((c, i) => {
    try {
      check(c, i);
    } catch (err) {
      failures.push(err instanceof Error ? err.message : String(err));
    }
  });
  return failures;
}

describe('engine against Gnocchi 4.4 (differential)', requires('python3-gnocchi'), () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-diff-'));
  const input = buildCase();
  let engine: Engine;
  let expected: OracleResult;

  before(async () => {
    expected = runOracle(input);
    engine = Engine.open({ path: dir });
    for (const [name, m] of Object.entries(input.metrics)) {
      await engine.createMetric(name, makeArchivePolicy({ name: `p-${name}`, ...m.policy }));
      for (const batch of m.batches) {
        await engine.addMeasures([{ metricId: name, timestamps: batch.map((p) => p[0]), values: batch.map((p) => p[1]) }]);
        await engine.processAll(); // one aggregation pass per batch, as the oracle does
      }
    }
  });
  after(async () => {
    await engine?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores and reads every method, granularity, window and resample as Gnocchi does', (t) => {
    let compared = 0;
    const failures = eachCase(input.reads, (r, i) => {
      const label = `read ${r.metric} ${r.method}@${r.granularity}s from=${r.from} to=${r.to} resample=${r.resample}`;
      const exp = expected.reads[i];
      assert.ok(Array.isArray(exp), `${label}: Gnocchi failed: ${JSON.stringify(exp)}`);
      const s = engine.read(r.metric, {
        method: r.method,
        granularity: r.granularity * S,
        from: r.from,
        to: r.to,
        resample: r.resample === null ? null : r.resample * S,
      });
      const points: Point[] = [];
      for (let k = 0; k < s.length; k++) points.push([s.ts[k], s.aggregation.granularity, s.values[k]]);
      comparePoints(label, points, exp);
      compared += exp.length;
    });
    reportCompat(t, 'gnocchi-carbonara', input.reads.length - failures.length, input.reads.length, 'reads');
    assert.deepEqual(failures.slice(0, 10), [], `${failures.length} cases differ`);
    assert.ok(compared > 5000, `compared ${compared} points`);
  });

  it('aggregates across metrics as Gnocchi does, errors included', (t) => {
    const refused = expected.aggregates.filter((e) => 'error' in e && typeof e.error === 'string');
    assert.equal(refused.length, 2, `only the two overlap cases fail in Gnocchi: ${JSON.stringify(refused)}`);
    const failures = eachCase(input.aggregates, (a, i) => {
      const label = `aggregate #${i} ${JSON.stringify(a.operations)} fill=${a.fill} overlap=${a.needed_overlap}`;
      const exp = expected.aggregates[i];
      const names = new Set<string>();
      const collect = (node: unknown): void => {
        if (!Array.isArray(node)) return;
        if (node[0] === 'metric') {
          const refs = Array.isArray(node[1]) ? node.slice(1) : [node.slice(1)];
          for (const ref of refs as string[][]) names.add(JSON.stringify(ref));
        } else node.forEach(collect);
      };
      collect(a.operations);
      const refs = [...names].map((n) => JSON.parse(n) as [string, string]).map(([metricId, method]) => ({ metricId, method }));
      let actual: CrossResult | Error;
      try {
        actual = aggregateAcross(engine, refs, a.operations as OperationNode, {
          from: a.from,
          to: a.to,
          granularities: a.granularities?.map((g) => g * S) ?? null,
          neededOverlap: a.needed_overlap,
          fill: a.fill as Fill,
        });
      } catch (e) {
        actual = e as Error;
      }
      if ('error' in exp && typeof exp.error === 'string') {
        assert.ok(actual instanceof UnaggregableSeriesError, `${label}: Gnocchi failed (${exp.error}) but tally gave ${String(actual)}`);
        assert.ok(exp.error.startsWith('UnAggregableTimeseries'), exp.error);
        assert.ok(exp.error.endsWith(actual.reason), `${label}: reason '${actual.reason}' vs Gnocchi '${exp.error}'`);
        return;
      }
      if (actual instanceof Error) assert.fail(`${label}: tally failed: ${actual.message}`);
      const got = toOracleShape(actual);
      assert.deepEqual(Object.keys(got).sort(), Object.keys(exp).sort(), `${label}: result shape`);
      if ('aggregated' in exp) {
        comparePoints(label, got.aggregated as Point[], exp.aggregated as OraclePoint[]);
      } else {
        for (const [name, byMethod] of Object.entries(exp as Record<string, Record<string, OraclePoint[]>>)) {
          const mine = got[name] as Record<string, Point[]>;
          for (const [method, pts] of Object.entries(byMethod)) comparePoints(`${label} ${name}/${method}`, mine[method], pts);
        }
      }
    });
    reportCompat(t, 'gnocchi-carbonara', input.aggregates.length - failures.length, input.aggregates.length, 'aggregates');
    assert.deepEqual(failures.slice(0, 10), [], `${failures.length} cases differ`);
  });
});
