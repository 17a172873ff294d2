/**
 * Decimal numbers as CloudKitty computes prices with them: Python's
 * `decimal.Decimal` in its default context (28 significant digits, rounding
 * half to even), kept as an integer coefficient and a power of ten so that
 * every result, its trailing zeros included, is the one Python gets. Prices
 * are shown with Python's `str(Decimal)` (`0E-28`, `1.5E-7`), so the
 * exponent is part of the value here, as it is there.
 */

/** Python's default context precision: results are rounded to this many significant digits. */
const PRECISION = 28;

export class Decimal {
  private constructor(
    /** true for negative numbers and for -0 */
    readonly negative: boolean,
    /** the digits, without sign */
    readonly coefficient: bigint,
    /** the value is coefficient × 10^exponent */
    readonly exponent: number,
  ) {}

  static of(negative: boolean, coefficient: bigint, exponent: number): Decimal {
    return new Decimal(negative, coefficient, exponent);
  }

  /** A value rounded to the context's 28 digits, as the result of an operation would be. */
  static rounded(negative: boolean, coefficient: bigint, exponent: number): Decimal {
    return new Decimal(negative, coefficient, exponent).round();
  }

  /** An integer, as Python mixes an int into Decimal arithmetic (exponent 0). */
  static int(n: number | bigint): Decimal {
    const b = BigInt(n);
    return new Decimal(b < 0n, b < 0n ? -b : b, 0);
  }

  /**
   * Python's Decimal(string): an optional sign, digits with an optional
   * point, an optional exponent; surrounding blanks and `_` between digits
   * allowed. Infinity and NaN are not numbers a price can use: null, as for
   * anything else Python would not read.
   */
  static parse(text: string): Decimal | null {
    const m = /^\s*([+-]?)(\d(?:_?\d)*)?(?:\.(\d(?:_?\d)*)?)?(?:[eE]([+-]?\d(?:_?\d)*))?\s*$/.exec(text);
    if (!m || (m[2] === undefined && m[3] === undefined)) return null;
    const whole = (m[2] ?? '').replace(/_/g, '');
    const fraction = (m[3] ?? '').replace(/_/g, '');
    const exponent = Number((m[4] ?? '0').replace(/_/g, '')) - fraction.length;
    return new Decimal(m[1] === '-', BigInt(whole + fraction || '0'), exponent);
  }

  /** Python's Decimal(float): the exact binary value of the double, every digit of it. */
  static fromNumber(n: number): Decimal {
    if (!Number.isFinite(n)) throw new RangeError(`not a finite number: ${n}`);
    if (Number.isInteger(n)) return new Decimal(n < 0 || Object.is(n, -0), BigInt(Math.abs(n)), 0);
    // n = mantissa × 2^-k exactly; × 5^k / 10^k turns the power of two into one of ten
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, Math.abs(n));
    const bits = view.getBigUint64(0);
    const biased = Number((bits >> 52n) & 0x7ffn);
    let mantissa = bits & ((1n << 52n) - 1n);
    let power = biased - 1075;
    if (biased === 0) power = -1074;
    else mantissa |= 1n << 52n;
    // power < 0 here: an integral double took the branch above
    while ((mantissa & 1n) === 0n && power < 0) {
      mantissa >>= 1n;
      power++;
    }
    const k = -power;
    return new Decimal(n < 0, mantissa * 5n ** BigInt(k), -k);
  }

  isZero(): boolean {
    return this.coefficient === 0n;
  }

  /** digits in the coefficient (1 for zero) */
  private digits(): number {
    return this.coefficient === 0n ? 1 : this.coefficient.toString().length;
  }

  /** Python's adjusted(): the exponent of the most significant digit. */
  adjusted(): number {
    return this.exponent + this.digits() - 1;
  }

  /** The signed coefficient scaled to `exponent` (≤ this.exponent). */
  private scaledTo(exponent: number): bigint {
    const c = this.coefficient * 10n ** BigInt(this.exponent - exponent);
    return this.negative ? -c : c;
  }

  compare(other: Decimal): -1 | 0 | 1 {
    const e = Math.min(this.exponent, other.exponent);
    const a = this.scaledTo(e);
    const b = other.scaledTo(e);
    return a < b ? -1 : a > b ? 1 : 0;
  }

  /** Python's Decimal.__add__ in the default context. */
  add(other: Decimal): Decimal {
    const e = Math.min(this.exponent, other.exponent);
    const sum = this.scaledTo(e) + other.scaledTo(e);
    // an exact zero is positive unless both operands are negative (rounding half even)
    const negative = sum < 0n || (sum === 0n && this.negative && other.negative);
    return new Decimal(negative, sum < 0n ? -sum : sum, e).round();
  }

  /** Python's Decimal.__mul__ in the default context. */
  mul(other: Decimal): Decimal {
    return new Decimal(this.negative !== other.negative, this.coefficient * other.coefficient, this.exponent + other.exponent).round();
  }

  /**
   * Python's Decimal.__truediv__ in the default context: the quotient to 28
   * digits, and, when it is exact, with the exponent closest to the ideal
   * one (the dividend's minus the divisor's), so that 900.00 / 3600 is 0.25.
   */
  div(other: Decimal): Decimal {
    if (other.coefficient === 0n) throw new RangeError('division by zero');
    const negative = this.negative !== other.negative;
    const ideal = this.exponent - other.exponent;
    if (this.coefficient === 0n) return new Decimal(negative, 0n, ideal);
    const shift = other.digits() - this.digits() + PRECISION + 1;
    let exponent = ideal - shift;
    let quotient: bigint;
    let remainder: bigint;
    if (shift >= 0) {
      const a = this.coefficient * 10n ** BigInt(shift);
      quotient = a / other.coefficient;
      remainder = a % other.coefficient;
    } else {
      const b = other.coefficient * 10n ** BigInt(-shift);
      quotient = this.coefficient / b;
      remainder = this.coefficient % b;
    }
    if (remainder !== 0n) {
      // a sticky last digit, so that rounding sees "more than half" where there is more
      if (quotient % 5n === 0n) quotient += 1n;
    } else {
      while (exponent < ideal && quotient % 10n === 0n) {
        quotient /= 10n;
        exponent++;
      }
    }
    return new Decimal(negative, quotient, exponent).round();
  }

  /** math.floor or math.ceil of the Decimal: an integer (exponent 0). */
  integral(mode: 'floor' | 'ceil'): Decimal {
    if (this.exponent >= 0) return new Decimal(this.negative, this.coefficient * 10n ** BigInt(this.exponent), 0);
    const divisor = 10n ** BigInt(-this.exponent);
    let q = this.coefficient / divisor;
    const inexact = this.coefficient % divisor !== 0n;
    // toward -infinity (floor) or +infinity (ceil): away from zero on the matching side
    if (inexact && (mode === 'floor') === this.negative) q++;
    return new Decimal(this.negative && q !== 0n, q, 0);
  }

  /** Rounds to the context's 28 significant digits, half to even, as every arithmetic result is. */
  private round(): Decimal {
    const excess = this.digits() - PRECISION;
    if (excess <= 0) return this;
    const divisor = 10n ** BigInt(excess);
    let q = this.coefficient / divisor;
    const r = this.coefficient % divisor;
    const twice = 2n * r;
    if (twice > divisor || (twice === divisor && (q & 1n) === 1n)) q++;
    // 999…9 rounded up gains a digit: drop it, as Python does
    if (q.toString().length > PRECISION) return new Decimal(this.negative, q / 10n, this.exponent + excess + 1);
    return new Decimal(this.negative, q, this.exponent + excess);
  }

  /**
   * The value as a column numeric(precision, scale) of PostgreSQL stores it:
   * `scale` digits after the point, rounded half away from zero; null when
   * the integer part has more than precision − scale digits (the server
   * refuses it: "numeric field overflow").
   */
  toColumn(precision: number, scale: number): Decimal | null {
    let c: bigint;
    if (this.exponent >= -scale) c = this.coefficient * 10n ** BigInt(this.exponent + scale);
    else {
      const divisor = 10n ** BigInt(-scale - this.exponent);
      c = this.coefficient / divisor;
      if (2n * (this.coefficient % divisor) >= divisor) c++;
    }
    if (c.toString().length > precision) return null;
    return new Decimal(this.negative && c !== 0n, c, -scale);
  }

  /** Python's str(Decimal): plain notation, or scientific when the exponent is positive or the number is small. */
  toString(): string {
    const sign = this.negative ? '-' : '';
    const digits = this.coefficient.toString();
    const adjusted = this.adjusted();
    if (this.exponent <= 0 && adjusted >= -6) {
      if (this.exponent === 0) return sign + digits;
      const point = digits.length + this.exponent;
      return point > 0 ? `${sign}${digits.slice(0, point)}.${digits.slice(point)}` : `${sign}0.${'0'.repeat(-point)}${digits}`;
    }
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${mantissa}E${adjusted >= 0 ? '+' : ''}${adjusted}`;
  }

  /** Plain notation for SQL parameters (PostgreSQL reads exponents too, but not Python's -0). */
  toPlain(): string {
    const digits = this.coefficient.toString();
    const sign = this.negative && this.coefficient !== 0n ? '-' : '';
    if (this.exponent >= 0) return sign + digits + '0'.repeat(this.exponent);
    const padded = digits.padStart(-this.exponent + 1, '0');
    const point = padded.length + this.exponent;
    return `${sign}${padded.slice(0, point)}.${padded.slice(point)}`;
  }
}
