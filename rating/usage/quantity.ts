/**
 * A measured value turned into a rated quantity as CloudKitty's collectors
 * do it: Python's Decimal of the float, × factor + offset, then the mutator
 * (NUMBOOL and NOTNUMBOOL give the floats 1.0/0.0, FLOOR and CEIL integers,
 * MAP the mapped float), and a float made a Decimal through its str(), as
 * CloudKitty's DataPoint does, so that quantities and prices agree to the
 * digit with what CloudKitty stores.
 */
import { pythonFloat } from '../../tsdb/api/python-json.js';
import { Decimal } from '../decimal.js';
import type { MetricConfig } from '../config/metrics-config.js';

const fromFloat = (x: number): Decimal => Decimal.parse(pythonFloat(x)) ?? Decimal.int(0);

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

/** A cache of quantities (and their text, a key of prices) by measured value, for one metric: a series repeats few values. */
export class QuantityCache {
  private readonly cache = new Map<number, Decimal>();
  private readonly texts = new Map<Decimal, string>();
  constructor(private readonly metric: MetricConfig) {}

  of(value: number): Decimal {
    let q = this.cache.get(value);
    if (q === undefined) {
      q = quantityOf(this.metric, value);
      if (this.cache.size < 100_000) this.cache.set(value, q);
    }
    return q;
  }

  /** The quantity's str(): computed once per cached quantity. */
  textOf(quantity: Decimal): string {
    let t = this.texts.get(quantity);
    if (t === undefined) {
      t = quantity.toString();
      if (this.texts.size < 100_000) this.texts.set(quantity, t);
    }
    return t;
  }
}
