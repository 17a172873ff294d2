/**
 * Functions of instant vectors and scalars: math, clamping and rounding,
 * date fields, label_replace/label_join, absent, scalar/vector, sort, and
 * histogram_quantile over classic `le` buckets. Those that transform each
 * sample on its own are applied series by series; the rest step by step.
 */
import { type Call, type Expr, unwrapParens } from '../ast.js';
import { ExecutionError } from '../errors.js';
import { isValidLabelName } from '../literals.js';
import { anchoredRegex, expandTemplate } from '../regex.js';
import type { Labels } from '../series-source.js';
import { dropMetricName, getLabel, labelsKey, METRIC_NAME, setLabel } from './labels.js';
import { datePart, type DatePart, goInt64 } from './math.js';
import { type Bucket, bucketQuantile } from './quantile.js';
import { type EvalValue, type Grid, mergeSameLabels, SeriesBuilder, StepCursor, type StepSeries } from './values.js';

const LN2_INV = 1 / Math.LN2;
const LN10_INV = 1 / Math.LN10;
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** Go's math.Log2: exact for powers of two, else Log(frac)/Ln2 + exp. */
function goLog2(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return Math.log2(x);
  // frexp: x = frac × 2^exp with frac in [0.5, 1)
  f64[0] = x;
  let exp = ((u32[1] >>> 20) & 0x7ff) - 1022;
  if (exp === -1022) {
    // subnormal: scale up first
    f64[0] = x * 2 ** 52;
    exp = ((u32[1] >>> 20) & 0x7ff) - 1022 - 52;
  }
  u32[1] = (u32[1] & 0x800fffff) | (1022 << 20);
  const frac = f64[0];
  if (frac === 0.5) return exp - 1;
  return Math.log(frac) * LN2_INV + exp;
}

const SIMPLE: Readonly<Record<string, (v: number) => number>> = {
  abs: Math.abs,
  ceil: Math.ceil,
  floor: Math.floor,
  exp: Math.exp,
  sqrt: Math.sqrt,
  ln: Math.log,
  log2: goLog2,
  log10: (v) => Math.log(v) * LN10_INV,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  asinh: Math.asinh,
  acosh: Math.acosh,
  atanh: Math.atanh,
  rad: (v) => (v * Math.PI) / 180,
  deg: (v) => (v * 180) / Math.PI,
  sgn: (v) => (v < 0 ? -1 : v > 0 ? 1 : v),
};

const DATE_FUNCTIONS = new Set<string>(['year', 'month', 'day_of_month', 'day_of_week', 'day_of_year', 'days_in_month', 'hour', 'minute']);

/** Applies f to every sample, dropping the metric name (and failing on label sets that then clash at a step). */
function mapSamples(vec: StepSeries[], f: (v: number, step: number) => number): StepSeries[] {
  return mergeSameLabels(vec.map((s) => ({ labels: dropMetricName(s.labels), steps: s.steps, values: s.values.map((v, i) => f(v, s.steps[i])) })));
}

function vectorArg(v: EvalValue): StepSeries[] {
  if (v.kind !== 'vector') throw new ExecutionError(`expected an instant vector, got ${v.kind}`);
  return v.series;
}

function scalarArg(v: EvalValue): Float64Array {
  if (v.kind !== 'scalar') throw new ExecutionError(`expected a scalar, got ${v.kind}`);
  return v.values;
}

function stringArg(e: Expr): string {
  const u = unwrapParens(e);
  if (u.type !== 'StringLiteral') throw new ExecutionError('expected a string literal');
  return u.value;
}

export function evalFunction(grid: Grid, call: Call, args: EvalValue[]): EvalValue {
  const name = call.func;
  const simple = SIMPLE[name];
  if (simple !== undefined) return { kind: 'vector', series: mapSamples(vectorArg(args[0]), simple) };
  if (DATE_FUNCTIONS.has(name)) {
    const part = name as DatePart;
    if (args.length === 0) {
      const s: StepSeries = { labels: [], steps: [], values: [] };
      for (let i = 0; i < grid.steps; i++) {
        s.steps.push(i);
        s.values.push(datePart(part, Math.trunc((grid.start + i * grid.interval) / 1000)));
      }
      return { kind: 'vector', series: [s] };
    }
    return { kind: 'vector', series: mapSamples(vectorArg(args[0]), (v) => datePart(part, goInt64(v))) };
  }
  switch (name) {
    case 'time':
    case 'pi': {
      const out = new Float64Array(grid.steps);
      for (let i = 0; i < grid.steps; i++) out[i] = name === 'pi' ? Math.PI : (grid.start + i * grid.interval) / 1000;
      return { kind: 'scalar', values: out };
    }
    case 'timestamp': {
      // on anything but a selector, a sample's time is the step's
      return { kind: 'vector', series: mapSamples(vectorArg(args[0]), (_, step) => (grid.start + step * grid.interval) / 1000) };
    }
    case 'clamp':
    case 'clamp_min':
    case 'clamp_max': {
      const vec = vectorArg(args[0]);
      const lo = name === 'clamp_max' ? undefined : scalarArg(args[1]);
      const hi = name === 'clamp' ? scalarArg(args[2]) : name === 'clamp_max' ? scalarArg(args[1]) : undefined;
      const out: StepSeries[] = [];
      for (const s of vec) {
        const steps: number[] = [];
        const values: number[] = [];
        for (let i = 0; i < s.steps.length; i++) {
          const st = s.steps[i];
          let v = s.values[i];
          if (lo !== undefined && hi !== undefined) {
            if (hi[st] < lo[st]) continue;
            v = Math.max(lo[st], Math.min(hi[st], v));
          } else if (hi !== undefined) v = Math.min(hi[st], v);
          else if (lo !== undefined) v = Math.max(lo[st], v);
          steps.push(st);
          values.push(v);
        }
        if (steps.length > 0) out.push({ labels: dropMetricName(s.labels), steps, values });
      }
      return { kind: 'vector', series: mergeSameLabels(out) };
    }
    case 'round': {
      const to = args.length > 1 ? scalarArg(args[1]) : undefined;
      return {
        kind: 'vector',
        series: mapSamples(vectorArg(args[0]), (v, step) => {
          const inverse = 1 / (to === undefined ? 1 : to[step]);
          return Math.floor(v * inverse + 0.5) / inverse;
        }),
      };
    }
    case 'scalar': {
      const out = new Float64Array(grid.steps).fill(NaN);
      const counts = new Int32Array(grid.steps);
      for (const s of vectorArg(args[0])) {
        for (let i = 0; i < s.steps.length; i++) {
          counts[s.steps[i]]++;
          out[s.steps[i]] = s.values[i];
        }
      }
      for (let i = 0; i < grid.steps; i++) if (counts[i] !== 1) out[i] = NaN;
      return { kind: 'scalar', values: out };
    }
    case 'vector': {
      const sc = scalarArg(args[0]);
      const s: StepSeries = { labels: [], steps: [], values: [] };
      for (let i = 0; i < grid.steps; i++) {
        s.steps.push(i);
        s.values.push(sc[i]);
      }
      return { kind: 'vector', series: [s] };
    }
    case 'absent': {
      const present = new Uint8Array(grid.steps);
      for (const s of vectorArg(args[0])) for (const st of s.steps) present[st] = 1;
      const out: StepSeries = { labels: absentLabels(call.args[0]), steps: [], values: [] };
      for (let i = 0; i < grid.steps; i++) {
        if (present[i] === 0) {
          out.steps.push(i);
          out.values.push(1);
        }
      }
      return { kind: 'vector', series: out.steps.length > 0 ? [out] : [] };
    }
    case 'sort':
    case 'sort_desc': {
      const vec = vectorArg(args[0]);
      if (grid.steps !== 1) return { kind: 'vector', series: vec };
      // one step: the order of the series is the order of the result; NaN goes last either way
      const sorted = [...vec].sort((a, b) => {
        const x = a.values[0];
        const y = b.values[0];
        if (x !== x) return y !== y ? 0 : 1;
        if (y !== y) return -1;
        return name === 'sort' ? x - y : y - x;
      });
      return { kind: 'vector', series: sorted };
    }
    case 'label_replace':
      return { kind: 'vector', series: labelReplace(vectorArg(args[0]), call.args) };
    case 'label_join':
      return { kind: 'vector', series: labelJoin(vectorArg(args[0]), call.args) };
    case 'histogram_quantile':
      return { kind: 'vector', series: histogramQuantile(grid, scalarArg(args[0]), vectorArg(args[1])) };
    case 'histogram_count':
    case 'histogram_sum':
    case 'histogram_fraction':
      // native histograms only: float samples are skipped
      return { kind: 'vector', series: [] };
    default:
      throw new ExecutionError(`function "${name}" is not supported`);
  }
}

/** The labels absent() gives: those fixed by `=` matchers (a label matched twice is left out). */
export function absentLabels(arg: Expr): Labels {
  const u = unwrapParens(arg);
  const matchers = u.type === 'VectorSelector' ? u.matchers : u.type === 'MatrixSelector' ? u.selector.matchers : undefined;
  if (matchers === undefined) return [];
  let labels: Labels = [];
  const has = new Set<string>();
  for (const m of matchers) {
    if (m.name === METRIC_NAME) continue;
    if (m.type === '=' && !has.has(m.name)) {
      labels = setLabel(labels, m.name, m.value);
      has.add(m.name);
    } else {
      labels = labels.filter(([n]) => n !== m.name);
    }
  }
  return labels;
}

function labelReplace(vec: StepSeries[], args: readonly Expr[]): StepSeries[] {
  const dst = stringArg(args[1]);
  const repl = stringArg(args[2]);
  const src = stringArg(args[3]);
  const regexText = stringArg(args[4]);
  let re: RegExp;
  try {
    re = anchoredRegex(regexText);
  } catch {
    throw new ExecutionError(`invalid regular expression in label_replace(): ${regexText}`);
  }
  if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(dst)) throw new ExecutionError(`invalid destination label name in label_replace(): ${dst}`);
  const out = vec.map((s) => {
    const m = re.exec(getLabel(s.labels, src));
    if (m === null) return s;
    return { labels: setLabel(s.labels, dst, expandTemplate(repl, m)), steps: s.steps, values: s.values };
  });
  return mergeSameLabels(out);
}

function labelJoin(vec: StepSeries[], args: readonly Expr[]): StepSeries[] {
  const dst = stringArg(args[1]);
  const sep = stringArg(args[2]);
  const srcs = args.slice(3).map(stringArg);
  for (const s of srcs) if (!isValidLabelName(s)) throw new ExecutionError(`invalid source label name in label_join(): ${s}`);
  if (!isValidLabelName(dst)) throw new ExecutionError(`invalid destination label name in label_join(): ${dst}`);
  const out = vec.map((s) => ({ labels: setLabel(s.labels, dst, srcs.map((n) => getLabel(s.labels, n)).join(sep)), steps: s.steps, values: s.values }));
  return mergeSameLabels(out);
}

/** strconv.ParseFloat's accepted forms, for `le` label values; NaN result for invalid ones is signalled by undefined. */
function parseGoFloat(s: string): number | undefined {
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(s)) return NaN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Number(s);
  return undefined;
}

function histogramQuantile(grid: Grid, q: Float64Array, vec: StepSeries[]): StepSeries[] {
  // per series: its upper bound, its bucket group and the group's output labels
  const bounds = vec.map((s) => parseGoFloat(getLabel(s.labels, 'le')));
  const groupKeys = vec.map((s) => labelsKey(s.labels.filter(([n]) => n !== 'le')));
  const outLabels = vec.map((s) => s.labels.filter(([n]) => n !== 'le' && n !== METRIC_NAME));
  const cursor = new StepCursor(vec);
  const out = new SeriesBuilder();
  for (let step = 0; step < grid.steps; step++) {
    const n = cursor.at(step);
    const groups = new Map<string, { labels: Labels; buckets: Bucket[] }>();
    for (let j = 0; j < n; j++) {
      const si = cursor.idx[j];
      const ub = bounds[si];
      if (ub === undefined) continue;
      let g = groups.get(groupKeys[si]);
      if (g === undefined) {
        g = { labels: outLabels[si], buckets: [] };
        groups.set(groupKeys[si], g);
      }
      g.buckets.push({ upperBound: ub, count: cursor.val[j] });
    }
    for (const g of groups.values()) out.add(g.labels, step, bucketQuantile(q[step], g.buckets));
  }
  return out.out;
}
