/**
 * A deterministic data set for comparing PromQL engines: counters with
 * resets, gauges with gaps longer than the lookback window, classic
 * histogram buckets, NaN and ±Inf values, info series for joins and series
 * that clash once their names are dropped; 15 s apart over two hours from
 * 2026-01-01T00:00:00Z. Written as OpenMetrics text for promtool's
 * backfill, and kept as arrays for an in-memory source.
 */
import type { MemorySeries } from './memory-source.js';

export const T0 = Date.UTC(2026, 0, 1) / 1000; // seconds
export const STEP_S = 15;
export const POINTS = 481; // 0 … 2 h

/** mulberry32: small, fast, deterministic */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type LabelMap = Record<string, string>;

interface Family {
  readonly name: string;
  readonly series: { labels: LabelMap; t: number[]; v: number[] }[];
}

export function buildDataset(): Family[] {
  const r = rng(20260101);
  const int = (n: number): number => Math.floor(r() * n);
  const round3 = (x: number): number => Math.round(x * 1000) / 1000;
  const grid = (from = 0, to = POINTS - 1, every = 1, skip?: (i: number) => boolean): number[] => {
    const out: number[] = [];
    for (let i = from; i <= to; i += every) if (!skip?.(i)) out.push(i);
    return out;
  };
  const times = (idx: number[], shift = 0): number[] => idx.map((i) => T0 + i * STEP_S + shift);
  const families: Family[] = [];

  // counters with resets; one starts late, one stops early, one is shifted off the grid by 7 s
  const requests: Family = { name: 'http_requests_total', series: [] };
  let k = 0;
  for (const job of ['api', 'web']) {
    for (const instance of ['a:9100', 'b:9100']) {
      for (const method of ['get', 'post']) {
        const idx = k === 3 ? grid(60) : k === 5 ? grid(0, 400) : grid();
        let v = int(100);
        const vals: number[] = [];
        for (const i of idx) {
          if (i === 100 + 37 * k || (k === 2 && i === 300)) v = int(5);
          else v += int(20);
          vals.push(v);
        }
        requests.series.push({ labels: { job, instance, method }, t: times(idx, k === 6 ? 7 : 0), v: vals });
        k++;
      }
    }
  }
  families.push(requests);

  // gauges with gaps longer than five minutes and one sampled every minute
  const temp: Family = { name: 'node_temperature_celsius', series: [] };
  const gaps: Record<string, (i: number) => boolean> = {
    h1: () => false,
    h2: (i) => i >= 100 && i < 140,
    h3: (i) => i >= 200 && i < 225,
    h4: (i) => i % 4 !== 0 || (i > 300 && i < 330),
  };
  for (const [host, skip] of Object.entries(gaps)) {
    const idx = grid(0, POINTS - 1, 1, skip);
    let v = 20 + int(10);
    temp.series.push({
      labels: { host, dc: host === 'h1' || host === 'h2' ? 'east' : 'west' },
      t: times(idx),
      v: idx.map(() => (v = round3(v + (r() - 0.5) * 2))),
    });
  }
  families.push(temp);

  // Fahrenheit twin of some hosts, for on(host) matching
  families.push({
    name: 'node_temperature_fahrenheit',
    series: ['h1', 'h3'].map((host) => {
      const idx = grid(0, POINTS - 1, 2);
      return { labels: { host, unit: 'F' }, t: times(idx), v: idx.map(() => round3(60 + r() * 30)) };
    }),
  });

  // classic histograms: cumulative buckets, _sum and _count; web's resets at 2/3 of the way
  const bounds = ['0.05', '0.1', '0.5', '1', '5', '+Inf'];
  const buckets: Family = { name: 'request_duration_seconds_bucket', series: [] };
  const sums: Family = { name: 'request_duration_seconds_sum', series: [] };
  const counts: Family = { name: 'request_duration_seconds_count', series: [] };
  for (const job of ['api', 'web']) {
    const idx = grid();
    const cum = bounds.map(() => [] as number[]);
    const sum: number[] = [];
    const count: number[] = [];
    const acc = bounds.map(() => 0);
    let s = 0;
    for (const i of idx) {
      if (job === 'web' && i === 320) {
        acc.fill(0);
        s = 0;
      }
      let c = 0;
      for (let b = 0; b < bounds.length; b++) {
        c += int(job === 'api' ? 6 : 3);
        acc[b] += c;
        cum[b].push(acc[b]);
      }
      s = round3(s + c * 0.3);
      sum.push(s);
      count.push(acc[bounds.length - 1]);
    }
    bounds.forEach((le, b) => buckets.series.push({ labels: { job, le }, t: times(idx), v: cum[b] }));
    sums.series.push({ labels: { job }, t: times(idx), v: sum });
    counts.series.push({ labels: { job }, t: times(idx), v: count });
  }
  families.push(buckets, sums, counts);

  // NaN and infinities
  const cycle = [1, NaN, Infinity, -2, -Infinity, 0.5];
  const odd: Family = { name: 'odd_values', series: [] };
  const constant: Record<string, number> = { nan: NaN, inf: Infinity, neg_inf: -Infinity, zero: 0 };
  for (const [kind, v] of Object.entries(constant)) {
    const idx = grid();
    odd.series.push({ labels: { kind }, t: times(idx), v: idx.map(() => v) });
  }
  {
    const idx = grid();
    odd.series.push({ labels: { kind: 'mixed' }, t: times(idx), v: idx.map((i) => cycle[i % cycle.length]) });
  }
  families.push(odd);

  // info series to join on (job, instance); one label value needs escaping
  const info: Family = { name: 'app_info', series: [] };
  for (const job of ['api', 'web']) {
    for (const instance of ['a:9100', 'b:9100']) {
      const idx = grid(0, POINTS - 1, 4);
      info.series.push({ labels: { job, instance, version: `v1.${job === 'api' ? 2 : 3}`, note: instance === 'a:9100' ? 'say "hi"\\ok' : 'plain' }, t: times(idx), v: idx.map(() => 1) });
    }
  }
  families.push(info);

  // gauges with distinct values, some negative, for topk/bottomk/sort/quantile
  const queue: Family = { name: 'queue_depth', series: [] };
  let q = 0;
  for (const job of ['api', 'web']) {
    for (const queue_ of ['high', 'low', 'bulk']) {
      const idx = grid();
      const base = (q++ - 2) * 17.25;
      queue.series.push({ labels: { job, queue: queue_, instance: q % 2 === 0 ? 'a:9100' : 'b:9100' }, t: times(idx), v: idx.map((i) => round3(base + Math.sin(i / 9 + q) * 10 + r())) });
    }
  }
  families.push(queue);

  // two metrics with the same labels: they clash once names are dropped
  for (const name of ['dup_a', 'dup_b']) {
    const idx = grid();
    families.push({ name, series: [{ labels: { x: '1' }, t: times(idx), v: idx.map((i) => i * (name === 'dup_a' ? 1 : 2)) }] });
  }

  // a metric seen only in the first half hour, for absent and staleness
  {
    const idx = grid(0, 120);
    families.push({ name: 'short_lived', series: [{ labels: { job: 'batch' }, t: times(idx), v: idx.map((i) => i) }] });
  }
  return families;
}

/** Go-readable float text */
function floatText(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** OpenMetrics exposition with timestamps, every family untyped, ending in # EOF. */
export function toOpenMetrics(families: readonly Family[]): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# TYPE ${f.name} unknown`);
    for (const s of f.series) {
      const labels = Object.entries(s.labels)
        .map(([n, v]) => `${n}="${escapeLabelValue(v)}"`)
        .join(',');
      for (let i = 0; i < s.t.length; i++) lines.push(`${f.name}{${labels}} ${floatText(s.v[i])} ${s.t[i]}`);
    }
  }
  lines.push('# EOF');
  return lines.join('\n') + '\n';
}

export function toMemorySeries(families: readonly Family[]): MemorySeries[] {
  return families.flatMap((f) =>
    f.series.map((s) => ({
      labels: [['__name__', f.name] as const, ...Object.entries(s.labels).map(([n, v]) => [n, v] as const)],
      timestamps: s.t.map((t) => t * 1000),
      values: s.v,
    })),
  );
}
