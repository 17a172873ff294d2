/**
 * Go's math where it differs from JavaScript's on special values, and the
 * calendar fields Prometheus's date functions read (UTC).
 */

/** math.Pow: unlike `**`, 1 to any power and -1 to ±Inf are 1. */
export function goPow(x: number, y: number): number {
  if (y === 0 || x === 1) return 1;
  if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
  return x ** y;
}

/** Go's conversion of a float to int64 on amd64: out-of-range and NaN give the minimum int64. */
export function goInt64(v: number): number {
  if (v !== v || v >= 9223372036854775807 || v < -9223372036854775808) return -9223372036854775808;
  return Math.trunc(v);
}

export type DatePart = 'year' | 'month' | 'day_of_month' | 'day_of_week' | 'day_of_year' | 'days_in_month' | 'hour' | 'minute';

/** A calendar field of the UTC time `seconds` since the epoch. */
export function datePart(part: DatePart, seconds: number): number {
  const d = new Date(seconds * 1000);
  switch (part) {
    case 'year':
      return d.getUTCFullYear();
    case 'month':
      return d.getUTCMonth() + 1;
    case 'day_of_month':
      return d.getUTCDate();
    case 'day_of_week':
      return d.getUTCDay();
    case 'day_of_year':
      return Math.floor((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
    case 'days_in_month':
      return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
    case 'hour':
      return d.getUTCHours();
    case 'minute':
      return d.getUTCMinutes();
  }
}
