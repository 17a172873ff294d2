/**
 * Aodh's composite alarms (evaluator/composite.py): and/or trees of
 * threshold rules, named rule1, rule2… in reading order. Two expressions are
 * derived from the tree: one true when the alarm should fire, one true when
 * it is OK (De Morgan's dual). Leaves are looked at lazily, left to right,
 * as Python's all()/any() do, because which leaves were looked at decides
 * which rules the reason names.
 */
import type { Alarm, AlarmState, CompositeRule, TypedThresholdRule } from '../model.js';
import type { RuleOutcome, Transition } from './threshold.js';

interface Leaf {
  readonly name: string;
  readonly rule: TypedThresholdRule;
  state: AlarmState | null;
  trending: AlarmState | null;
  evaluated: boolean;
}

type Expr = { readonly op: 'and' | 'or'; readonly items: readonly Expr[] } | { readonly leaf: Leaf; readonly wants: 'alarm' | 'ok' } | { readonly never: true };

/** The threshold leaves of a composite rule, in the order Aodh numbers them. */
export function compositeLeaves(rule: CompositeRule): TypedThresholdRule[] {
  const out: TypedThresholdRule[] = [];
  const visit = (r: CompositeRule): void => {
    if ('and' in r) for (const x of r.and) visit(x);
    else if ('or' in r) for (const x of r.or) visit(x);
    else out.push(r);
  };
  visit(rule);
  return out;
}

const THRESHOLD = new Set(['gnocchi_resources_threshold', 'gnocchi_aggregation_by_metrics_threshold', 'gnocchi_aggregation_by_resources_threshold']);

function parse(rule: CompositeRule, leaves: Leaf[]): [Expr, Expr] {
  if ('and' in rule || 'or' in rule) {
    const isAnd = 'and' in rule;
    const parts = (isAnd ? (rule as { and: CompositeRule[] }).and : (rule as { or: CompositeRule[] }).or).map((r) => parse(r, leaves));
    const alarm: Expr = { op: isAnd ? 'and' : 'or', items: parts.map((p) => p[0]) };
    const ok: Expr = { op: isAnd ? 'or' : 'and', items: parts.map((p) => p[1]) };
    return [alarm, ok];
  }
  if (!THRESHOLD.has(rule.type)) return [{ never: true }, { never: true }];
  const leaf: Leaf = { name: `rule${leaves.length + 1}`, rule, state: null, trending: null, evaluated: false };
  leaves.push(leaf);
  return [
    { leaf, wants: 'alarm' },
    { leaf, wants: 'ok' },
  ];
}

function describe(e: Expr): string {
  if ('never' in e) return 'False';
  if ('leaf' in e) return e.leaf.name;
  return `(${e.items.map(describe).join(` ${e.op} `)})`;
}

const STATE_CHANGE: Record<AlarmState, string> = { alarm: 'outside their threshold.', ok: 'inside their threshold.', 'insufficient data': 'state evaluated to unknown.' };

/**
 * Evaluates a composite alarm; `outcomeOf(i)` gives leaf i's outcome (by
 * compositeLeaves order). Returns the transition to make, or null.
 */
export function compositeTransition(alarm: Pick<Alarm, 'state' | 'repeat_actions' | 'rule'>, outcomeOf: (leafIndex: number) => RuleOutcome): Transition | null {
  const leaves: Leaf[] = [];
  const [alarmExpr, okExpr] = parse(alarm.rule as CompositeRule, leaves);
  const look = (leaf: Leaf): void => {
    if (leaf.evaluated) return;
    const o = outcomeOf(leaves.indexOf(leaf));
    leaf.state = o.state;
    leaf.trending = o.trending;
    leaf.evaluated = true;
  };
  const truth = (e: Expr): boolean => {
    if ('never' in e) return false;
    if ('leaf' in e) {
      look(e.leaf);
      return e.leaf.state === e.wants;
    }
    return e.op === 'and' ? e.items.every(truth) : e.items.some(truth);
  };
  const reasonFor = (state: AlarmState): Transition => {
    const causes: Record<string, TypedThresholdRule> = {};
    for (const l of leaves) if (l.state === state) causes[l.name] = l.rule;
    const form = describe(alarmExpr);
    const lead = alarm.state !== state ? 'transition to' : 'remaining as';
    return {
      state,
      reason: `Composite rule alarm with composition form: ${form} ${lead} ${state}, due to rules: ${Object.keys(causes).sort().join(', ')} ${STATE_CHANGE[state]}`,
      reasonData: { type: 'composite', composition_form: form, causative_rules: causes },
    };
  };
  const sufficient = (): Transition | null => {
    // trending sub-rules count for the alarm's current side, or flip it
    for (const l of leaves) {
      if (l.trending === null) continue;
      if (alarm.state === 'insufficient data') l.state = l.trending;
      else if (l.trending === 'alarm') l.state = 'ok';
      else if (l.trending === 'ok') l.state = 'alarm';
      else l.state = alarm.state;
    }
    if (truth(alarmExpr)) return reasonFor('alarm');
    if (truth(okExpr)) return reasonFor('ok');
    return null;
  };
  let t = sufficient();
  if (!t) {
    for (const l of leaves) look(l);
    t = sufficient();
  }
  if (!t) return alarm.state !== 'insufficient data' ? reasonFor('insufficient data') : null;
  // Aodh's _refresh: a change, or the same state again with repeat_actions
  return t.state !== alarm.state || alarm.repeat_actions ? t : null;
}
