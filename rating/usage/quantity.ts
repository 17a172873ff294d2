/**
 * A measured value turned into a rated quantity as CloudKitty's collectors
 * do it: Python's Decimal of the float, × factor + offset, then the mutator
 * (NUMBOOL and NOTNUMBOOL give the floats 1.0/0.0, FLOOR and CEIL integers,
 * MAP the mapped float), and a float made a Decimal through its str(), as
 * CloudKitty's DataPoint does, so that quantities and prices agree to the
 * digit with what CloudKitty stores.
 */
import { Decimal } from '../decimal.js';
import type { MetricConfig } from '../config/metrics-config.js';

/** Python's repr of a float (what str() gives): 1.0, 0.5, 1e+16, 1.5e-07. */
export function pythonFloatRepr(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return x.toFixed(1);
  const s = String(x);
  const m = /^(-?[\d.]+)e([+-])(\d+)$/.exec(s);
  if (m) return `${m[1]}e${m[2]}${m[3].padStart(2, '0')}`;
  // JavaScript writes 1e-7 as "1e-7" and 0.000001 plainly, as Python does from 1e-4 on
  if (Math.abs(x) < 1e-4 && x !== 0) {
    const e = x.toExponential();
    const [mant, exp] = e.split('e');
    return `${mant}e${exp[0]}${exp.slice(1).padStart(2, '0')}`;
  }
  return s;
}

const fromFloat = (x: number): Decimal => Decimal.parse(pythonFloatRepr(x)) ?? Decimal.int(0);

export function quantityOf(metric: MetricConfig, value: number): Decimal {
  const converted = Decimal.fromNumber(value).mul(metric.factor).add(metric.offset);
  switch (metric.mutate) {
    case 'NUMBOOL':
      return fromFloat(converted.isZero() ? 0 : 1);
    case 'NOTNUMBOOL':
      return fromFloat(converted.isZero() ? 1 : 0);
    case 'FLOOR':
    case 'CEIL':
      return converted.integral(metric.mutate === 'FLOOR' ? 'floor' : 'ceil');
    case 'MAP': {
      const mapped = metric.mutateMap?.get(Number(converted.toPlain()));
      // YAML's 2 and 2.0 are one JavaScript number: an integral value is taken as an int
      return mapped === undefined ? fromFloat(0) : Number.isInteger(mapped) ? Decimal.int(mapped) : fromFloat(mapped);
    }
    default:
      return converted;
  }
}

/** A cache of quantities by measured value, for one metric: a series repeats few values. */
export class QuantityCache {
  private readonly cache = new Map<number, Decimal>();
  constructor(private readonly metric: MetricConfig) {}

  of(value: number): Decimal {
    let q = this.cache.get(value);
    if (q === undefined) {
      q = quantityOf(this.metric, value);
      if (this.cache.size < 100_000) this.cache.set(value, q);
    }
    return q;
  }
}
