/** Neumaier-compensated summation steps, as Prometheus uses them for *_over_time and regressions. */

/** Adds `inc` to the running `sum` with compensation `c`; writes the new pair into `out`. */
export function kahanInc(inc: number, sum: number, c: number, out: Float64Array): void {
  const t = sum + inc;
  if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc;
  else c += inc - t + sum;
  out[0] = t;
  out[1] = c;
}
