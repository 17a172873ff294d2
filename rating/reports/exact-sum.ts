/**
 * A sum of Decimals, each counted some number of times, kept exact and
 * rounded once to 28 digits when read (CloudKitty sums its stored
 * quantities and prices in SQL, exactly). Adding counts a value object:
 * the lines of a month repeat a few quantities and prices (the same object
 * for every whole period at one level), so the arithmetic is done once per
 * distinct value, not once per line.
 */
import { Decimal } from '../decimal.js';

const POWERS: bigint[] = [1n];
const powerOfTen = (n: number): bigint => {
  while (POWERS.length <= n) POWERS.push(POWERS[POWERS.length - 1] * 10n);
  return POWERS[n];
};

export class ExactSum {
  private readonly counts = new Map<Decimal, number>();
  /** the first value added, when it is all there is: returned as it is */
  private only: Decimal | null = null;

  constructor(private readonly zero: Decimal | null = null) {}

  add(value: Decimal, times = 1): void {
    if (this.counts.size === 0 && this.only === null && times === 1 && this.zero === null) {
      this.only = value;
      return;
    }
    if (this.only !== null) {
      this.counts.set(this.only, 1);
      this.only = null;
    }
    this.counts.set(value, (this.counts.get(value) ?? 0) + times);
  }

  /** The sum (the starting value, or null when nothing was added and there is none). */
  value(): Decimal | null {
    if (this.only !== null) return this.only;
    if (this.counts.size === 0) return this.zero;
    let exponent = this.zero?.exponent ?? Infinity;
    let allNegative = this.zero?.negative ?? true;
    for (const d of this.counts.keys()) {
      if (d.exponent < exponent) exponent = d.exponent;
      if (!d.negative) allNegative = false;
    }
    let sum = 0n;
    const scaled = (d: Decimal): bigint => (d.negative ? -d.coefficient : d.coefficient) * powerOfTen(d.exponent - exponent);
    if (this.zero !== null) sum += scaled(this.zero);
    for (const [d, n] of this.counts) sum += scaled(d) * BigInt(n);
    // an exact zero is negative only when every term is, as Python's sums go
    return Decimal.rounded(sum < 0n || (sum === 0n && allNegative), sum < 0n ? -sum : sum, exponent);
  }
}
