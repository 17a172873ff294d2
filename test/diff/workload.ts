/**
 * The workload of the API differential test: archive policies, metrics, and
 * measures that are deterministic (a seeded PRNG),
 * with timestamps in the formats Gnocchi accepts (ISO with Z or an offset,
 * naive ISO, epoch seconds as number and as string), out of order across
 * requests, duplicate timestamps, and late measures on both sides of each
 * policy's back window. T0 = 2024-03-01T10:00:00Z.
 */
import { prng } from '../helpers/prng.js';
/** No percentile: Debian's Gnocchi crashes metricd on them (test/gnocchi/README.md). */
export const POLICIES = [
  {
    name: 'diff-fine',
    back_window: 0,
    definition: [{ granularity: '1s', timespan: '1 hour' }, { granularity: '1 minute', points: 120 }, { granularity: '1 hour', timespan: '7 days' }],
    aggregation_methods: ['mean', 'max', 'min', 'sum', 'count', 'last', 'std', 'rate:mean'],
  },
  { name: 'diff-bw', back_window: 2, definition: [{ granularity: 60, points: 60 }, { granularity: '0:05:00', timespan: '1 day' }], aggregation_methods: ['mean', 'sum', 'count', 'last', 'max'] },
  { name: 'diff-coarse', definition: [{ granularity: '10s', points: 360 }, { granularity: 60, timespan: '2 hours' }], aggregation_methods: ['mean', 'min', 'first', 'median', 'rate:max'] },
];

/** Created in this order: {m0} … {m6}. */
export const METRICS = [
  { archive_policy_name: 'diff-fine', name: 'cpu', unit: '%' }, // m0
  { archive_policy_name: 'diff-fine', name: 'cpu2' }, // m1
  { archive_policy_name: 'diff-bw', name: 'late', unit: 'ms' }, // m2
  { archive_policy_name: 'diff-coarse' }, // m3
  { archive_policy_name: 'diff-fine', name: 'empty' }, // m4: never gets a measure
  { archive_policy_name: 'diff-fine', name: 'formats' }, // m5: the measure-format checks
  { archive_policy_name: 'diff-fine', name: 'relative' }, // m6: timestamps relative to now, never read
];

export interface Measure {
  timestamp: string | number;
  value: number;
}

const T0 = Date.UTC(2024, 2, 1, 10, 0, 0); // ms


type Format = (ms: number, i: number) => string | number;

/** One of the ISO spellings, chosen by i. Gnocchi converts a request's timestamps
 * as one numpy array: ISO strings mix, but epoch values and ISO strings do not. */
const iso: Format = (ms, i) => {
  switch (i % 3) {
    case 0: return new Date(ms).toISOString(); // 2024-03-01T10:00:00.000Z
    case 1: return new Date(ms).toISOString().replace('Z', ''); // naive: UTC
    default: return new Date(ms + 3_600_000).toISOString().replace('Z', '+01:00');
  }
};
const epoch: Format = (ms) => ms / 1000; // seconds, a JSON number
const epochString: Format = (ms) => String(ms / 1000);

function series(rand: () => number, from: number, n: number, stepMs: number, jitterMs: number, start: number, fmt: Format = iso): Measure[] {
  const out: Measure[] = [];
  let v = start;
  for (let i = 0; i < n; i++) {
    v += rand() * 10 - 5;
    out.push({ timestamp: fmt(from + i * stepMs + Math.floor(rand() * jitterMs), i), value: Math.round(v * 1000) / 1000 });
  }
  return out;
}

/** an ISO spelling of ours back to one Date.parse reads as UTC */
const isoUtc = (ts: string | number): string => (typeof ts === 'string' && !/(Z|[+-]\d\d:\d\d)$/.test(ts) ? `${ts}Z` : String(ts));

const at = (minutes: number, seconds = 0): number => T0 + minutes * 60_000 + seconds * 1000;

export function buildMeasures(): {
  m0: Measure[][];
  m0Late: Measure[];
  m1: Measure[];
  m2First: Measure[];
  m2Late: Measure[];
  m3: Measure[];
  m3Late: Measure[];
} {
  const rand = prng(20240301);
  // m0: 300 points, 2 s apart with sub-second jitter; three requests, newest first
  const m0 = series(rand, T0, 300, 2000, 900, 50);
  m0[40] = { ...m0[40], value: -12.5 };
  m0.splice(41, 0, { timestamp: m0[40].timestamp, value: 999 }); // same timestamp twice in one request
  const m0Chunks = [m0.slice(200), m0.slice(0, 100), m0.slice(100, 200)];
  m0Chunks[2] = m0Chunks[2].map((m) => ({ ...m, timestamp: Date.parse(isoUtc(m.timestamp)) / 1000 })); // the middle one as epoch seconds
  // bw 0 with a rate: method, largest granularity 1 h: Gnocchi keeps one block more
  // for rates, so 09:30 (the block before 10:00) is still taken and 08:59:50 is not
  const m0Late = [
    { timestamp: iso(at(-60, -10), 0), value: 1e6 },
    { timestamp: iso(at(-30), 1), value: -1e3 },
    { timestamp: iso(at(5, 0.5), 0), value: 42 },
    { timestamp: iso(at(20), 2), value: 60 },
  ];

  // m1: 200 points 3 s apart from 10:00:30, sent in a batch with m3
  const m1 = series(rand, at(0, 30), 200, 3000, 0, 20);
  m1.push({ timestamp: m1[7].timestamp, value: -3 }); // duplicate at the end of the request

  // m2: back_window 2 at 300 s: 10:00–10:29:50 every 10 s, shuffled
  const m2 = series(rand, T0, 180, 10_000, 0, 100);
  for (let i = m2.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [m2[i], m2[j]] = [m2[j], m2[i]];
  }
  // last 10:29:50 → block 10:25 − 2×300 s = 10:15 is the oldest timestamp still accepted
  // (10:31 in the same request moves it to 10:20 if the window follows the newest measure)
  const m2Late = [
    { timestamp: epochString(at(20, 5), 0), value: 1 },
    { timestamp: epochString(at(16), 0), value: 2 },
    { timestamp: epochString(at(15), 0), value: 3 },
    { timestamp: epochString(at(14, 59), 0), value: 4 },
    { timestamp: epochString(at(2), 0), value: 5 },
    { timestamp: epochString(at(31), 0), value: 6 },
    { timestamp: epochString(at(16), 0), value: 7 },
  ];

  // m3: 10:05–10:15 every 7 s: overlaps m0 (10:00–10:10) in part
  const m3 = series(rand, at(5), 86, 7000, 0, 0, epoch);
  const m3Late = [
    // newest 10:14:55 → block 10:14, and one more for rate:max: 10:13 is the oldest kept
    { timestamp: epoch(at(15, 30), 0), value: 10 },
    { timestamp: epoch(at(13, 30), 0), value: 11 },
    { timestamp: epoch(at(9), 0), value: -10 },
  ];
  return { m0: m0Chunks, m0Late, m1, m2First: m2, m2Late, m3, m3Late };
}
