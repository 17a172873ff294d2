/**
 * Archive policies, as Gnocchi defines them: a list of (granularity, points,
 * timespan) definitions, a set of aggregation methods and a back window.
 */
import { InvalidInputError, UnknownAggregationMethodError } from './errors.js';
import { type Micros, parseTimespanSeconds, pythonSeconds, US_PER_SECOND } from './time.js';

export interface ArchivePolicyItem {
  readonly granularity: Micros;
  /** null when the definition has no retention limit */
  readonly points: number | null;
  readonly timespan: Micros | null;
}

export interface ArchivePolicy {
  readonly name: string;
  /** How many blocks of the coarsest granularity late measures may reach back. */
  readonly backWindow: number;
  /** Sorted by granularity, finest first. */
  readonly definition: readonly ArchivePolicyItem[];
  /** The resolved set of methods, sorted. */
  readonly aggregationMethods: readonly string[];
}

/** One stored series of a metric: a method at a granularity. */
export interface Aggregation {
  readonly method: string;
  readonly granularity: Micros;
  readonly timespan: Micros | null;
}

export type BaseMethod = 'mean' | 'sum' | 'last' | 'max' | 'min' | 'std' | 'median' | 'first' | 'count' | 'quantile';

/** An aggregation method name taken apart: `rate:95pct` → quantile 95 over rates. */
export interface ParsedMethod {
  readonly name: string;
  readonly base: BaseMethod;
  /** percentile for 'quantile', else 0 */
  readonly q: number;
  /** aggregate the differences between consecutive raw measures */
  readonly rate: boolean;
}

const SIMPLE_METHODS: ReadonlySet<string> = new Set(['mean', 'sum', 'last', 'max', 'min', 'std', 'median', 'first', 'count']);
const PCT = /^([1-9][0-9]?)pct$/;

export function parseMethod(name: string, field = 'aggregation_methods'): ParsedMethod {
  const rate = name.startsWith('rate:');
  const rest = rate ? name.slice(5) : name;
  if (SIMPLE_METHODS.has(rest)) return { name, base: rest as BaseMethod, q: 0, rate };
  const pct = PCT.exec(rest);
  if (pct) return { name, base: 'quantile', q: Number(pct[1]), rate };
  throw new UnknownAggregationMethodError(field, name);
}

export function isValidMethod(name: string): boolean {
  try {
    parseMethod(name);
    return true;
  } catch {
    return false;
  }
}

/** Every method Gnocchi knows, used for the `*` wildcard. */
export const ALL_METHODS: readonly string[] = (() => {
  const base = [...SIMPLE_METHODS];
  for (let i = 1; i < 100; i++) base.push(`${i}pct`);
  return [...base, ...base.map((m) => `rate:${m}`)].sort();
})();

export const DEFAULT_AGGREGATION_METHODS: readonly string[] = ['mean', 'min', 'max', 'sum', 'std', 'count'];

/**
 * Resolves a method list as Gnocchi does: `*` is every method; a list made only
 * of `+m`/`-m` edits the default set; otherwise the list is the set, and any
 * `+m`/`-m` in it then adds or removes.
 */
export function resolveAggregationMethods(
  entries: readonly string[] | undefined,
  defaults: readonly string[] = DEFAULT_AGGREGATION_METHODS,
): string[] {
  if (entries === undefined) return [...defaults].sort();
  entries.forEach((e, i) => {
    const plain = e.startsWith('+') || e.startsWith('-') ? e.slice(1) : e;
    if (e !== '*' && !isValidMethod(plain)) throw new InvalidInputError(`aggregation_methods[${i}]`, 'not a valid value');
  });
  let set: Set<string>;
  if (entries.includes('*')) set = new Set(ALL_METHODS);
  else if (entries.every((e) => e.startsWith('+') || e.startsWith('-'))) set = new Set(defaults);
  else set = new Set(entries.filter((e) => !e.startsWith('+') && !e.startsWith('-') && e !== '*'));
  for (const e of entries) {
    if (e.startsWith('-')) set.delete(e.slice(1));
    else if (e.startsWith('+')) set.add(e.slice(1));
  }
  return [...set].sort();
}

/** A definition as a client writes it: numbers are seconds, strings are timespans. */
export interface ArchivePolicyItemInput {
  granularity?: number | string | null;
  points?: number | null;
  timespan?: number | string | null;
}

export interface ArchivePolicyInput {
  name: string;
  back_window?: number;
  definition: readonly ArchivePolicyItemInput[];
  aggregation_methods?: readonly string[];
}

function toMicros(field: string, seconds: number): Micros {
  const us = seconds * US_PER_SECOND;
  const rounded = Math.round(us);
  // Our clock ticks in microseconds: a coarser-than-that remainder cannot be bucketed exactly.
  if (Math.abs(us - rounded) > 1e-3) {
    throw new InvalidInputError(field, `${seconds} s is not a whole number of microseconds`);
  }
  return rounded;
}

/** Validates one definition and fills in the missing member, as Gnocchi does. */
export function makeItem(input: ArchivePolicyItemInput, field = 'definition'): ArchivePolicyItem {
  const g = input.granularity == null ? null : parseTimespanSeconds(`${field}.granularity`, input.granularity);
  const ts = input.timespan == null ? null : parseTimespanSeconds(`${field}.timespan`, input.timespan);
  let points = input.points ?? null;
  if (points !== null && (typeof points !== 'number' || !Number.isInteger(points))) {
    throw new InvalidInputError(`${field}.points`, 'points must be an integer');
  }
  if (g !== null && points !== null && ts !== null && Math.abs(ts - g * points) > 1e-9) {
    throw new InvalidInputError(`${field}.timespan`, 'timespan ≠ granularity × points');
  }
  if (g !== null && g <= 0) throw new InvalidInputError(`${field}.granularity`, 'Timespan must be positive');
  if (points !== null && points <= 0) throw new InvalidInputError(`${field}.points`, 'Number of points should be > 0');
  if (ts !== null && ts <= 0) throw new InvalidInputError(`${field}.timespan`, 'Timespan must be positive');
  let granularity: Micros;
  if (g === null) {
    if (points === null || ts === null) {
      throw new InvalidInputError(`${field}.granularity`, 'At least two of granularity/points/timespan must be provided');
    }
    granularity = toMicros(`${field}.granularity`, ts / points);
  } else {
    granularity = toMicros(`${field}.granularity`, g);
  }
  if (granularity <= 0) throw new InvalidInputError(`${field}.granularity`, 'Granularity should be > 0');
  if (points === null) {
    if (ts === null) return { granularity, points: null, timespan: null };
    points = Math.floor(Math.round(ts * US_PER_SECOND) / granularity);
    if (points <= 0) throw new InvalidInputError(`${field}.points`, 'Calculated number of points is < 0');
  }
  return { granularity, points, timespan: granularity * points };
}

export function makeArchivePolicy(input: ArchivePolicyInput): ArchivePolicy {
  if (typeof input.name !== 'string' || input.name === '') {
    throw new InvalidInputError('name', 'archive policy name must be a non-empty string');
  }
  const backWindow = input.back_window ?? 0;
  if (!Number.isInteger(backWindow) || backWindow < 0) {
    throw new InvalidInputError('back_window', 'back_window must be an integer >= 0');
  }
  if (!Array.isArray(input.definition) || input.definition.length === 0) {
    throw new InvalidInputError('definition', 'definition must be a non-empty list');
  }
  const definition = input.definition.map((d, i) => makeItem(d, `definition[${i}]`));
  const seen = new Set<number>();
  for (const d of definition) {
    if (seen.has(d.granularity)) {
      throw new InvalidInputError('definition', `More than one archive policy uses granularity \`${pythonSeconds(d.granularity)}'`);
    }
    seen.add(d.granularity);
  }
  definition.sort((a, b) => a.granularity - b.granularity);
  return {
    name: input.name,
    backWindow,
    definition,
    aggregationMethods: resolveAggregationMethods(input.aggregation_methods),
  };
}

/** Every (method, granularity) series a metric under this policy keeps; finest granularity first. */
export function aggregationsOf(policy: ArchivePolicy): Aggregation[] {
  const out: Aggregation[] = [];
  for (const d of policy.definition) {
    for (const method of policy.aggregationMethods) out.push({ method, granularity: d.granularity, timespan: d.timespan });
  }
  return out;
}

export function findAggregation(policy: ArchivePolicy, method: string, granularity: Micros): Aggregation | undefined {
  if (!policy.aggregationMethods.includes(method)) return undefined;
  const d = policy.definition.find((x) => x.granularity === granularity);
  return d && { method, granularity, timespan: d.timespan };
}

/** The coarsest granularity: the raw tail is kept in blocks of this size. */
export function blockSize(policy: ArchivePolicy): Micros {
  return policy.definition[policy.definition.length - 1].granularity;
}

/** Blocks of raw measures kept behind the newest one; one more when a rate needs the previous point. */
export function rawBackWindow(policy: ArchivePolicy): number {
  return policy.backWindow + (policy.aggregationMethods.some((m) => m.startsWith('rate:')) ? 1 : 0);
}

const DAY = 86400;
export const DEFAULT_ARCHIVE_POLICIES: readonly ArchivePolicy[] = [
  makeArchivePolicy({ name: 'bool', back_window: 3600, aggregation_methods: ['last'], definition: [{ granularity: 1, timespan: 365 * DAY }] }),
  makeArchivePolicy({ name: 'low', definition: [{ granularity: 300, timespan: 30 * DAY }] }),
  makeArchivePolicy({ name: 'medium', definition: [{ granularity: 60, timespan: 7 * DAY }, { granularity: 3600, timespan: 365 * DAY }] }),
  makeArchivePolicy({
    name: 'high',
    definition: [{ granularity: 1, timespan: 3600 }, { granularity: 60, timespan: 7 * DAY }, { granularity: 3600, timespan: 365 * DAY }],
  }),
  // The policies Ceilometer's gnocchi_resources.yaml creates.
  makeArchivePolicy({ name: 'ceilometer-low', aggregation_methods: ['mean'], definition: [{ granularity: 300, timespan: 30 * DAY }] }),
  makeArchivePolicy({ name: 'ceilometer-low-rate', aggregation_methods: ['mean', 'rate:mean'], definition: [{ granularity: 300, timespan: 30 * DAY }] }),
  makeArchivePolicy({
    name: 'ceilometer-high',
    aggregation_methods: ['mean'],
    definition: [{ granularity: 1, timespan: 3600 }, { granularity: 60, timespan: DAY }, { granularity: 3600, timespan: 365 * DAY }],
  }),
  makeArchivePolicy({
    name: 'ceilometer-high-rate',
    aggregation_methods: ['mean', 'rate:mean'],
    definition: [{ granularity: 1, timespan: 3600 }, { granularity: 60, timespan: DAY }, { granularity: 3600, timespan: 365 * DAY }],
  }),
];
