/**
 * The PromQL functions of Prometheus 2.42: argument types, how many
 * optional trailing arguments each takes, and the type it returns. The
 * parser type-checks calls against this table.
 */
import type { ValueType } from './ast.js';

export interface FunctionSignature {
  readonly args: readonly ValueType[];
  /** 0: exactly `args`; n > 0: the last argument is optional and up to n of its kind may be given; -1: any number of the last kind */
  readonly variadic: number;
  readonly returns: ValueType;
}

const V: ValueType = 'vector';
const M: ValueType = 'matrix';
const S: ValueType = 'scalar';
const STR: ValueType = 'string';

const vectorFn = { args: [V], variadic: 0, returns: V } as const;
const rangeFn = { args: [M], variadic: 0, returns: V } as const;
const dateFn = { args: [V], variadic: 1, returns: V } as const;

export const FUNCTIONS: Readonly<Record<string, FunctionSignature>> = {
  abs: vectorFn,
  absent: vectorFn,
  absent_over_time: rangeFn,
  acos: vectorFn,
  acosh: vectorFn,
  asin: vectorFn,
  asinh: vectorFn,
  atan: vectorFn,
  atanh: vectorFn,
  avg_over_time: rangeFn,
  ceil: vectorFn,
  changes: rangeFn,
  clamp: { args: [V, S, S], variadic: 0, returns: V },
  clamp_max: { args: [V, S], variadic: 0, returns: V },
  clamp_min: { args: [V, S], variadic: 0, returns: V },
  cos: vectorFn,
  cosh: vectorFn,
  count_over_time: rangeFn,
  days_in_month: dateFn,
  day_of_month: dateFn,
  day_of_week: dateFn,
  day_of_year: dateFn,
  deg: vectorFn,
  delta: rangeFn,
  deriv: rangeFn,
  exp: vectorFn,
  floor: vectorFn,
  histogram_count: vectorFn,
  histogram_sum: vectorFn,
  histogram_fraction: { args: [S, S, V], variadic: 0, returns: V },
  histogram_quantile: { args: [S, V], variadic: 0, returns: V },
  holt_winters: { args: [M, S, S], variadic: 0, returns: V },
  hour: dateFn,
  idelta: rangeFn,
  increase: rangeFn,
  irate: rangeFn,
  label_replace: { args: [V, STR, STR, STR, STR], variadic: 0, returns: V },
  label_join: { args: [V, STR, STR, STR], variadic: -1, returns: V },
  last_over_time: rangeFn,
  ln: vectorFn,
  log10: vectorFn,
  log2: vectorFn,
  max_over_time: rangeFn,
  min_over_time: rangeFn,
  minute: dateFn,
  month: dateFn,
  pi: { args: [], variadic: 0, returns: S },
  predict_linear: { args: [M, S], variadic: 0, returns: V },
  present_over_time: rangeFn,
  quantile_over_time: { args: [S, M], variadic: 0, returns: V },
  rad: vectorFn,
  rate: rangeFn,
  resets: rangeFn,
  round: { args: [V, S], variadic: 1, returns: V },
  scalar: { args: [V], variadic: 0, returns: S },
  sgn: vectorFn,
  sin: vectorFn,
  sinh: vectorFn,
  sort: vectorFn,
  sort_desc: vectorFn,
  sqrt: vectorFn,
  stddev_over_time: rangeFn,
  stdvar_over_time: rangeFn,
  sum_over_time: rangeFn,
  tan: vectorFn,
  tanh: vectorFn,
  time: { args: [], variadic: 0, returns: S },
  timestamp: vectorFn,
  vector: { args: [S], variadic: 0, returns: V },
  year: dateFn,
};

export function returnTypeOf(func: string): ValueType {
  return FUNCTIONS[func]?.returns ?? 'vector';
}
