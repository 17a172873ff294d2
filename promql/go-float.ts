/**
 * Go's float formatting (strconv.FormatFloat with precision -1, the
 * shortest digits that read back exactly) in its 'f' and 'e' forms, as
 * Prometheus prints sample values and count_values labels.
 */

/** The shortest round-tripping digits of |v| and its decimal exponent: v = 0.d1d2… × 10^(exp+1). */
function shortest(v: number): { digits: string; exp: number } {
  // toExponential() without argument gives the shortest round-trip digits
  const [mant, e] = Math.abs(v).toExponential().split('e');
  return { digits: mant.replace('.', ''), exp: Number(e) };
}

function special(v: number): string | undefined {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  return undefined;
}

/** strconv.FormatFloat(v, 'f', -1, 64): never an exponent. */
export function formatFloatF(v: number): string {
  const a = v < 0 ? -v : v;
  // JavaScript writes this range without an exponent and with the same shortest digits: the common case, without string surgery
  if (a >= 1e-6 && a < 1e21) return String(v);
  const s = special(v);
  if (s !== undefined) return s;
  const { digits, exp } = shortest(v);
  const sign = v < 0 ? '-' : '';
  const point = exp + 1; // digits before the decimal point
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** strconv.FormatFloat(v, 'e', -1, 64): d.ddde±XX, two exponent digits at least. */
export function formatFloatE(v: number): string {
  const s = special(v);
  if (s !== undefined) return s === '0' ? '0e+00' : s === '-0' ? '-0e+00' : s;
  const { digits, exp } = shortest(v);
  const sign = v < 0 ? '-' : '';
  const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const e = Math.abs(exp);
  return `${sign}${mant}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
}

/**
 * How Prometheus 2.42's HTTP API writes a sample value: 'f' form, but the
 * 'e' form below 1e-6 and from 1e21 on (its JSON encoder's cut-offs).
 */
export function formatSampleValue(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && Number.isFinite(a) && (a < 1e-6 || a >= 1e21)) return formatFloatE(v);
  return formatFloatF(v);
}
