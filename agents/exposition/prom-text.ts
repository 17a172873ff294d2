/**
 * Pieces of the Prometheus text format (version 0.0.4), written the way
 * prom-client writes them, so that a family rendered here and the same
 * family rendered by prom-client's Registry are the same bytes (but for a
 * NaN value: see formatValue).
 */

export type FamilyType = 'gauge' | 'counter' | 'untyped';

/** Ordered label names → values; the order is the order written. */
export type Labels = Record<string, string>;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export const isMetricName = (name: string): boolean => METRIC_NAME.test(name);
/** `__`-prefixed names are reserved for Prometheus itself */
export const isLabelName = (name: string): boolean => LABEL_NAME.test(name) && !name.startsWith('__');

const NEEDS_ESCAPE = /[\\\n"]/;

/** A label value between quotes: backslash, newline and double quote escaped. */
export function escapeLabelValue(value: string): string {
  // most values need nothing: one test instead of three replaces
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** HELP text: backslash and newline escaped (quotes stay). */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/**
 * A sample value as prom-client writes it (JavaScript's shortest round-trip
 * form), except NaN, spelt as the format spells it (prom-client writes
 * `Nan`, which parsers also take).
 */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return `${value}`;
}

export function familyHeader(name: string, help: string, type: FamilyType): string {
  return `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}`;
}
