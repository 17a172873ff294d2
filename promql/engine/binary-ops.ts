/**
 * Binary operators: between scalars, between a vector and a scalar, and
 * between vectors with one-to-one, many-to-one (group_left) and
 * one-to-many (group_right) matching on/ignoring labels, plus the set
 * operators and/or/unless. Arithmetic drops the metric name, comparisons
 * filter unless `bool` turns them into 0/1 (dropping the name too).
 */
import type { BinaryExpr, BinaryOp, VectorMatching } from '../ast.js';
import { ExecutionError } from '../errors.js';
import type { Labels } from '../series-source.js';
import type { QueryContext } from './context.js';
import { dropMetricName, formatLabels, getLabel, keepLabels, labelsKey, matchedLabels, matchSignature, METRIC_NAME, setLabel, withoutLabels } from './labels.js';
import { goPow } from './math.js';
import { type Grid, mergeSameLabels, SeriesBuilder, StepCursor, type StepSeries } from './values.js';

const COMPARISON = new Set<BinaryOp>(['==', '!=', '>', '<', '>=', '<=']);

export function isComparison(op: BinaryOp): boolean {
  return COMPARISON.has(op);
}

/** Arithmetic drops the metric name; comparisons and atan2 keep it. */
function dropsName(op: BinaryOp): boolean {
  return op === '+' || op === '-' || op === '*' || op === '/' || op === '%' || op === '^';
}

/** The arithmetic result, or for comparisons 1/0 whether the comparison holds. */
export function arith(op: BinaryOp, l: number, r: number): number {
  switch (op) {
    case '+':
      return l + r;
    case '-':
      return l - r;
    case '*':
      return l * r;
    case '/':
      return l / r;
    case '%':
      return l % r;
    case '^':
      return goPow(l, r);
    case 'atan2':
      return Math.atan2(l, r);
    case '==':
      return l === r ? 1 : 0;
    case '!=':
      return l !== r ? 1 : 0;
    case '>':
      return l > r ? 1 : 0;
    case '<':
      return l < r ? 1 : 0;
    case '>=':
      return l >= r ? 1 : 0;
    case '<=':
      return l <= r ? 1 : 0;
    default:
      throw new ExecutionError(`operator "${op}" not allowed for operations between scalars`);
  }
}

export function scalarBinary(op: BinaryOp, l: Float64Array, r: Float64Array): Float64Array {
  const out = new Float64Array(l.length);
  for (let i = 0; i < l.length; i++) out[i] = arith(op, l[i], r[i]);
  return out;
}

/** vector op scalar (or scalar op vector when `scalarLeft`), series by series. */
export function vectorScalarBinary(e: BinaryExpr, vec: StepSeries[], scalar: Float64Array, scalarLeft: boolean): StepSeries[] {
  const op = e.op;
  const cmp = isComparison(op);
  const out: StepSeries[] = [];
  for (const s of vec) {
    const steps: number[] = [];
    const values: number[] = [];
    for (let i = 0; i < s.steps.length; i++) {
      const step = s.steps[i];
      const sv = s.values[i];
      const l = scalarLeft ? scalar[step] : sv;
      const r = scalarLeft ? sv : scalar[step];
      if (cmp) {
        const holds = arith(op, l, r) === 1;
        if (e.returnBool) {
          steps.push(step);
          values.push(holds ? 1 : 0);
        } else if (holds) {
          steps.push(step);
          values.push(sv); // the vector's sample, whichever side it is on
        }
      } else {
        steps.push(step);
        values.push(arith(op, l, r));
      }
    }
    if (steps.length === 0) continue;
    out.push({ labels: dropsName(op) || e.returnBool ? dropMetricName(s.labels) : s.labels, steps, values });
  }
  return mergeSameLabels(out);
}

export function setOperation(grid: Grid, op: 'and' | 'or' | 'unless', m: VectorMatching, lhs: StepSeries[], rhs: StepSeries[]): StepSeries[] {
  const lsig = lhs.map((s) => matchSignature(s.labels, m.on, m.labels));
  const rsig = rhs.map((s) => matchSignature(s.labels, m.on, m.labels));
  const lc = new StepCursor(lhs);
  const rc = new StepCursor(rhs);
  const out = new SeriesBuilder();
  const lkeys = lhs.map((s) => labelsKey(s.labels));
  const rkeys = rhs.map((s) => labelsKey(s.labels));
  for (let step = 0; step < grid.steps; step++) {
    const nl = lc.at(step);
    const nr = rc.at(step);
    if (op === 'and') {
      if (nl === 0 || nr === 0) continue;
      const right = new Set<string>();
      for (let j = 0; j < nr; j++) right.add(rsig[rc.idx[j]]);
      for (let j = 0; j < nl; j++) if (right.has(lsig[lc.idx[j]])) out.add(lhs[lc.idx[j]].labels, step, lc.val[j], lkeys[lc.idx[j]]);
    } else if (op === 'or') {
      const left = new Set<string>();
      for (let j = 0; j < nl; j++) {
        left.add(lsig[lc.idx[j]]);
        out.add(lhs[lc.idx[j]].labels, step, lc.val[j], lkeys[lc.idx[j]]);
      }
      for (let j = 0; j < nr; j++) if (nl === 0 || !left.has(rsig[rc.idx[j]])) out.add(rhs[rc.idx[j]].labels, step, rc.val[j], rkeys[rc.idx[j]]);
    } else {
      const right = new Set<string>();
      for (let j = 0; j < nr; j++) right.add(rsig[rc.idx[j]]);
      for (let j = 0; j < nl; j++) if (!right.has(lsig[lc.idx[j]])) out.add(lhs[lc.idx[j]].labels, step, lc.val[j], lkeys[lc.idx[j]]);
    }
  }
  return out.out;
}

/** The labels of a vector-vector result: from the "many" side, shaped by the matching and group_x labels. */
function resultLabels(op: BinaryOp, many: Labels, one: Labels, m: VectorMatching): Labels {
  let l = many;
  if (dropsName(op)) l = l.filter(([n]) => n !== METRIC_NAME);
  if (m.card === 'one-to-one') l = m.on ? keepLabels(l, m.labels) : withoutLabels(l, m.labels);
  for (const name of m.include) l = setLabel(l, name, getLabel(one, name));
  return l;
}

export function vectorBinary(ctx: QueryContext, grid: Grid, e: BinaryExpr, lhsIn: StepSeries[], rhsIn: StepSeries[]): StepSeries[] {
  const m = e.matching!;
  const op = e.op;
  const cmp = isComparison(op);
  // group_right: the right side is the "many" side; swap and remember
  const swapped = m.card === 'one-to-many';
  const many = swapped ? rhsIn : lhsIn;
  const one = swapped ? lhsIn : rhsIn;
  // signatures interned as small integers, so a step's matching is array lookups
  const ids = new Map<string, number>();
  const intern = (sig: string): number => {
    let id = ids.get(sig);
    if (id === undefined) {
      id = ids.size;
      ids.set(sig, id);
    }
    return id;
  };
  const manySig = many.map((s) => intern(matchSignature(s.labels, m.on, m.labels)));
  const oneSig = one.map((s) => intern(matchSignature(s.labels, m.on, m.labels)));
  const mc = new StepCursor(many);
  const oc = new StepCursor(one);
  const out = new SeriesBuilder();
  const resultCache = new Map<number, { labels: Labels; key: string }>();
  // per signature: the step it was last set at, the one-side series and value, and (one-to-one) whether matched
  const oneStep = new Int32Array(ids.size).fill(-1);
  const oneIdx = new Int32Array(ids.size);
  const oneVal = new Float64Array(ids.size);
  const matchedStep = new Int32Array(ids.size).fill(-1);
  const groupKeys = new Map<number, Set<string>>();
  for (let step = 0; step < grid.steps; step++) {
    ctx.check();
    const nm = mc.at(step);
    const no = oc.at(step);
    if (nm === 0 || no === 0) continue;
    for (let j = 0; j < no; j++) {
      const si = oc.idx[j];
      const sig = oneSig[si];
      if (oneStep[sig] === step) {
        const dup = oneIdx[sig];
        const side = swapped ? 'left' : 'right';
        throw new ExecutionError(
          `found duplicate series for the match group ${formatLabels(matchedLabels(one[si].labels, m.on, m.labels))} on the ${side} hand-side of the operation: [${formatLabels(one[si].labels)}, ${formatLabels(one[dup].labels)}];many-to-many matching not allowed: matching labels must be unique on one side`,
        );
      }
      oneStep[sig] = step;
      oneIdx[sig] = si;
      oneVal[sig] = oc.val[j];
    }
    if (m.card !== 'one-to-one') groupKeys.clear();
    for (let j = 0; j < nm; j++) {
      const si = mc.idx[j];
      const sig = manySig[si];
      if (oneStep[sig] !== step) continue;
      const oi = oneIdx[sig];
      const ov = oneVal[sig];
      const l = swapped ? ov : mc.val[j];
      const r = swapped ? mc.val[j] : ov;
      let value: number;
      if (cmp) {
        const holds = arith(op, l, r) === 1;
        if (e.returnBool) value = holds ? 1 : 0;
        else if (!holds) continue;
        else value = l;
      } else {
        value = arith(op, l, r);
      }
      const ck = si * one.length + oi;
      let res = resultCache.get(ck);
      if (res === undefined) {
        let labels = resultLabels(op, many[si].labels, one[oi].labels, m);
        if (e.returnBool) labels = dropMetricName(labels);
        res = { labels, key: labelsKey(labels) };
        resultCache.set(ck, res);
      }
      if (m.card === 'one-to-one') {
        if (matchedStep[sig] === step) throw new ExecutionError('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
        matchedStep[sig] = step;
      } else {
        let seen = groupKeys.get(sig);
        if (seen === undefined) {
          seen = new Set();
          groupKeys.set(sig, seen);
        } else if (seen.has(res.key)) {
          throw new ExecutionError('multiple matches for labels: grouping labels must ensure unique matches');
        }
        seen.add(res.key);
      }
      out.add(res.labels, step, value, res.key);
    }
  }
  return out.out;
}
