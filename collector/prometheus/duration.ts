/**
 * Prometheus duration strings (`15s`, `1m`, `1h30m`, `500ms`, `2w`, `1y`,
 * `0`), as Prometheus' model.ParseDuration reads them: units in decreasing
 * order, each at most once, no fractions.
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  y: 365 * 24 * 3600e3,
  w: 7 * 24 * 3600e3,
  d: 24 * 3600e3,
  h: 3600e3,
  m: 60e3,
  s: 1e3,
  ms: 1,
};
const ORDER = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];
const PART = /(\d+)(ms|y|w|d|h|m|s)/y;

/** Milliseconds of a Prometheus duration; undefined when `text` is not one. */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  if (text === '') return undefined;
  let total = 0;
  let last = -1;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const m = PART.exec(text);
    if (!m) return undefined;
    const rank = ORDER.indexOf(m[2]);
    if (rank <= last) return undefined;
    last = rank;
    total += Number(m[1]) * UNIT_MS[m[2]];
  }
  return Number.isSafeInteger(total) ? total : undefined;
}

/** A duration in Prometheus' spelling (`1m30s`), for messages and labels such as `__scrape_interval__`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const unit of ORDER) {
    const size = UNIT_MS[unit];
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}
