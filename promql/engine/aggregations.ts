/**
 * Aggregation operators (sum, avg, count, min, max, group, stddev, stdvar,
 * topk, bottomk, quantile, count_values) with by/without, step by step in
 * the order Prometheus 2.42 visits samples, so sums and means agree bit
 * for bit and topk/bottomk keep the same samples.
 */
import type { AggregateExpr } from '../ast.js';
import { ExecutionError } from '../errors.js';
import { formatFloatF } from '../go-float.js';
import { isValidLabelName } from '../literals.js';
import type { Labels } from '../series-source.js';
import type { QueryContext } from './context.js';
import { groupingKey, keepLabels, labelsKey, METRIC_NAME, setLabel } from './labels.js';
import { quantile } from './quantile.js';
import { type Grid, SeriesBuilder, StepCursor, type StepSeries } from './values.js';

/**
 * Per step, what each group holds. Groups are numbered once per query (a
 * series' group never changes, except for count_values, whose groups are
 * found per sample), so a step touches arrays by number instead of looking
 * groups up by key and allocating them.
 */
class Groups {
  value = new Float64Array(0);
  mean = new Float64Array(0);
  count = new Float64Array(0);
  /** the step that last touched a group: its figures are reset when a new step first touches it */
  touched = new Int32Array(0);
  /** the groups the current step touched, in the order it first did (Prometheus's output order) */
  order = new Int32Array(0);
  size = 0;
  /** topk/bottomk: heap of input indexes and values; quantile: all values */
  heapIdx: number[][] = [];
  heapVal: number[][] = [];
  readonly labels: Labels[] = [];
  /** each group's output label set as the series builder keys it */
  readonly outKeys: string[] = [];
  private readonly ids = new Map<string, number>();

  /** the number of the group of this key, made when new */
  id(key: string, labels: Labels): number {
    let g = this.ids.get(key);
    if (g !== undefined) return g;
    g = this.labels.length;
    this.ids.set(key, g);
    this.labels.push(labels);
    this.outKeys.push(labelsKey(labels));
    this.heapIdx.push([]);
    this.heapVal.push([]);
    if (g >= this.touched.length) this.grow(Math.max(16, g * 2));
    this.touched[g] = -1;
    return g;
  }

  private grow(n: number): void {
    const more = <T extends Float64Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.value = more(this.value, (k) => new Float64Array(k));
    this.mean = more(this.mean, (k) => new Float64Array(k));
    this.count = more(this.count, (k) => new Float64Array(k));
    this.touched = more(this.touched, (k) => new Int32Array(k));
    this.order = more(this.order, (k) => new Int32Array(k));
  }
}

function groupLabels(labels: Labels, grouping: readonly string[], without: boolean): Labels {
  if (without) return labels.filter(([n]) => n !== METRIC_NAME && !grouping.includes(n));
  return grouping.length > 0 ? keepLabels(labels, grouping) : [];
}

const INT64_MAX = 9223372036854775807;

export function evalAggregation(ctx: QueryContext, grid: Grid, e: AggregateExpr, input: StepSeries[], param: Float64Array | string | undefined): StepSeries[] {
  const op = e.op;
  const without = e.without;
  let grouping = [...e.grouping].sort();
  const out = new SeriesBuilder();
  const cursor = new StepCursor(input);

  let valueLabel = '';
  if (op === 'count_values') {
    valueLabel = param as string;
    if (!isValidLabelName(valueLabel)) throw new ExecutionError(`invalid label name "${valueLabel}"`);
    if (!without) grouping = [...grouping, valueLabel].sort();
  }
  const groups = new Groups();
  // a series' group depends only on its labels (count_values adds its label per sample)
  const groupOf = new Int32Array(op === 'count_values' ? 0 : input.length);
  if (op !== 'count_values') {
    for (let si = 0; si < input.length; si++) groupOf[si] = groups.id(groupingKey(input[si].labels, grouping, without), groupLabels(input[si].labels, grouping, without));
  }
  if (SERIES_MAJOR.has(op)) return aggregateSeriesMajor(ctx, grid, op, input, groupOf, groups);

  for (let step = 0; step < grid.steps; step++) {
    ctx.check();
    const n = cursor.at(step);
    let k = 0;
    let q = 0;
    if (op === 'topk' || op === 'bottomk') {
      const f = (param as Float64Array)[step];
      if (!(f <= INT64_MAX && f >= -INT64_MAX - 1)) throw new ExecutionError(`Scalar value ${formatFloatF(f)} overflows int64`);
      k = Math.trunc(f);
      if (k < 1) continue;
    } else if (op === 'quantile') {
      q = (param as Float64Array)[step];
    }
    groups.size = 0;
    for (let j = 0; j < n; j++) {
      const si = cursor.idx[j];
      const v = cursor.val[j];
      let g: number;
      if (op === 'count_values') {
        const m = setLabel(input[si].labels, valueLabel, formatFloatF(v));
        g = groups.id(groupingKey(m, grouping, without), groupLabels(m, grouping, without));
      } else {
        g = groupOf[si];
      }
      const { value, mean, count } = groups;
      if (groups.touched[g] !== step) {
        groups.touched[g] = step;
        groups.order[groups.size++] = g;
        value[g] = op === 'stddev' || op === 'stdvar' ? 0 : op === 'group' ? 1 : v;
        mean[g] = v;
        count[g] = 1;
        if (op === 'topk' || op === 'bottomk' || op === 'quantile') {
          groups.heapIdx[g].length = 0;
          groups.heapVal[g].length = 0;
          groups.heapIdx[g].push(si);
          groups.heapVal[g].push(v);
        }
        continue;
      }
      switch (op) {
        case 'sum':
          value[g] += v;
          break;
        case 'avg': {
          const c = ++count[g];
          const m = mean[g];
          if (m === Infinity || m === -Infinity) {
            if ((v === Infinity || v === -Infinity) && m > 0 === v > 0) break;
            if (v !== Infinity && v !== -Infinity && v === v) break;
          }
          mean[g] += v / c - m / c;
          break;
        }
        case 'max':
          if (value[g] < v || value[g] !== value[g]) value[g] = v;
          break;
        case 'min':
          if (value[g] > v || value[g] !== value[g]) value[g] = v;
          break;
        case 'count':
        case 'count_values':
          count[g]++;
          break;
        case 'stddev':
        case 'stdvar': {
          const c = ++count[g];
          const delta = v - mean[g];
          mean[g] += delta / c;
          value[g] += delta * (v - mean[g]);
          break;
        }
        case 'topk':
          keepTop(groups.heapVal[g], groups.heapIdx[g], si, v, k, topLess);
          break;
        case 'bottomk':
          keepTop(groups.heapVal[g], groups.heapIdx[g], si, v, k, bottomLess);
          break;
        case 'quantile':
          groups.heapIdx[g].push(si);
          groups.heapVal[g].push(v);
          break;
        case 'group':
          break;
      }
    }
    for (let o = 0; o < groups.size; o++) {
      const g = groups.order[o];
      let result = groups.value[g];
      switch (op) {
        case 'avg':
          result = groups.mean[g];
          break;
        case 'count':
        case 'count_values':
          result = groups.count[g];
          break;
        case 'stdvar':
          result = result / groups.count[g];
          break;
        case 'stddev':
          result = Math.sqrt(result / groups.count[g]);
          break;
        case 'quantile':
          result = quantile(q, groups.heapVal[g]);
          break;
        case 'topk':
        case 'bottomk': {
          const hv = groups.heapVal[g];
          const hi = groups.heapIdx[g];
          const order = hv.map((_, i) => i);
          if (order.length > 1) order.sort((a, b) => (op === 'topk' ? descNaNLast : ascNaNLast)(hv[a], hv[b]));
          for (const i of order) out.add(input[hi[i]].labels, step, hv[i]);
          continue;
        }
        default:
          break;
      }
      out.add(groups.labels[g], step, result, groups.outKeys[g]);
    }
  }
  return out.out;
}

/** The operators whose per-step result depends only on the samples of each group in series order. */
const SERIES_MAJOR: ReadonlySet<string> = new Set(['sum', 'avg', 'count', 'min', 'max', 'group', 'stddev', 'stdvar']);

/**
 * Those operators series by series instead of step by step: each series'
 * samples go into its group's cell of their step. Within a cell the samples
 * still come in series order, so every sum and mean is the one the
 * step-by-step walk (and Prometheus) computes; output series come in the
 * order the step-by-step walk would first make them. A walk over each
 * series' own samples touches only samples that exist, and no per-step
 * cursor over all series.
 */
function aggregateSeriesMajor(ctx: QueryContext, grid: Grid, op: string, input: readonly StepSeries[], groupOf: Int32Array, groups: Groups): StepSeries[] {
  const steps = grid.steps;
  const nGroups = groups.labels.length;
  const cells = nGroups * steps;
  const value = new Float64Array(cells);
  const mean = new Float64Array(cells);
  const count = new Float64Array(cells);
  const firstStep = new Int32Array(nGroups).fill(steps);
  const firstSeries = new Int32Array(nGroups);
  for (let si = 0; si < input.length; si++) {
    if ((si & 255) === 0) ctx.check();
    const s = input[si];
    const g = groupOf[si];
    const base = g * steps;
    const st = s.steps;
    const vs = s.values;
    if (st.length > 0 && st[0] < firstStep[g]) {
      firstStep[g] = st[0];
      firstSeries[g] = si;
    }
    for (let j = 0; j < st.length; j++) {
      const c = base + st[j];
      const v = vs[j];
      const n = count[c];
      if (n === 0) {
        value[c] = op === 'stddev' || op === 'stdvar' ? 0 : op === 'group' ? 1 : v;
        mean[c] = v;
        count[c] = 1;
        continue;
      }
      switch (op) {
        case 'sum':
          value[c] += v;
          break;
        case 'avg': {
          const k = (count[c] = n + 1);
          const m = mean[c];
          if (m === Infinity || m === -Infinity) {
            if ((v === Infinity || v === -Infinity) && m > 0 === v > 0) break;
            if (v !== Infinity && v !== -Infinity && v === v) break;
          }
          mean[c] += v / k - m / k;
          break;
        }
        case 'max':
          count[c] = n + 1;
          if (value[c] < v || value[c] !== value[c]) value[c] = v;
          break;
        case 'min':
          count[c] = n + 1;
          if (value[c] > v || value[c] !== value[c]) value[c] = v;
          break;
        case 'stddev':
        case 'stdvar': {
          const k = (count[c] = n + 1);
          const delta = v - mean[c];
          mean[c] += delta / k;
          value[c] += delta * (v - mean[c]);
          break;
        }
        default:
          count[c] = n + 1;
      }
    }
  }
  // the step-by-step walk makes a group's series at the first step it has a sample, in the order of the series giving it one
  const order = Array.from({ length: nGroups }, (_, g) => g).filter((g) => firstStep[g] < steps);
  order.sort((a, b) => firstStep[a] - firstStep[b] || firstSeries[a] - firstSeries[b]);
  const out: StepSeries[] = [];
  for (const g of order) {
    const outSteps: number[] = [];
    const outValues: number[] = [];
    const base = g * steps;
    for (let st = 0; st < steps; st++) {
      const c = base + st;
      const n = count[c];
      if (n === 0) continue;
      outSteps.push(st);
      outValues.push(op === 'avg' ? mean[c] : op === 'count' ? n : op === 'stdvar' ? value[c] / n : op === 'stddev' ? Math.sqrt(value[c] / n) : value[c]);
    }
    out.push({ labels: groups.labels[g], steps: outSteps, values: outValues });
  }
  return out;
}

type Less = (a: number, b: number) => boolean;
/** topk's heap keeps the smallest (NaN smallest of all) on top */
const topLess: Less = (a, b) => a !== a || a < b;
/** bottomk's keeps the largest (NaN largest of all) on top */
const bottomLess: Less = (a, b) => a !== a || a > b;

function descNaNLast(a: number, b: number): number {
  if (a !== a) return b !== b ? 0 : 1;
  if (b !== b) return -1;
  return b - a;
}

function ascNaNLast(a: number, b: number): number {
  if (a !== a) return b !== b ? 0 : 1;
  if (b !== b) return -1;
  return a - b;
}

/** Go's container/heap push/pop on a group's heap, as Prometheus's topk/bottomk use it. */
function keepTop(hv: number[], hi: number[], si: number, v: number, k: number, less: Less): void {
  if (!(hv.length < k || less(hv[0], v) || hv[0] !== hv[0])) return;
  if (hv.length === k) {
    if (k === 1) {
      hv[0] = v;
      hi[0] = si;
      return;
    }
    // pop: move the top to the end, restore the heap, drop it
    const last = hv.length - 1;
    swap(hv, hi, 0, last);
    down(hv, hi, 0, last, less);
    hv.pop();
    hi.pop();
  }
  hv.push(v);
  hi.push(si);
  up(hv, hi, hv.length - 1, less);
}

function swap(hv: number[], hi: number[], i: number, j: number): void {
  const tv = hv[i];
  hv[i] = hv[j];
  hv[j] = tv;
  const ti = hi[i];
  hi[i] = hi[j];
  hi[j] = ti;
}

function up(hv: number[], hi: number[], j: number, less: Less): void {
  for (;;) {
    const i = Math.floor((j - 1) / 2);
    if (i === j || j <= 0 || !less(hv[j], hv[i])) break;
    swap(hv, hi, i, j);
    j = i;
  }
}

function down(hv: number[], hi: number[], i: number, n: number, less: Less): void {
  for (;;) {
    const j1 = 2 * i + 1;
    if (j1 >= n) break;
    let j = j1;
    const j2 = j1 + 1;
    if (j2 < n && less(hv[j2], hv[j1])) j = j2;
    if (!less(hv[j], hv[i])) break;
    swap(hv, hi, i, j);
    i = j;
  }
}
