/**
 * Label-set operations the engine needs on `Labels` (sorted [name, value]
 * pairs): identity keys, Prometheus's ordering, dropping the metric name,
 * keeping or removing names, and the match signatures of vector matching
 * and grouping.
 */
import type { Labels } from '../series-source.js';

export const METRIC_NAME = '__name__';
const SEP = '\xff';

/** A string identifying a label set (names and values cannot contain 0xff in practice). */
export function labelsKey(labels: Labels): string {
  let k = '';
  for (const [n, v] of labels) k += n + SEP + v + SEP;
  return k;
}

/** Prometheus's labels.Compare: pairwise by name then value, shorter first. */
export function compareLabels(a: Labels, b: Labels): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i][0] !== b[i][0]) return a[i][0] < b[i][0] ? -1 : 1;
    if (a[i][1] !== b[i][1]) return a[i][1] < b[i][1] ? -1 : 1;
  }
  return a.length - b.length;
}

export function getLabel(labels: Labels, name: string): string {
  for (const [n, v] of labels) if (n === name) return v;
  return '';
}

export function dropMetricName(labels: Labels): Labels {
  return labels.some(([n]) => n === METRIC_NAME) ? labels.filter(([n]) => n !== METRIC_NAME) : labels;
}

export function keepLabels(labels: Labels, names: readonly string[]): Labels {
  return labels.filter(([n]) => names.includes(n));
}

export function withoutLabels(labels: Labels, names: readonly string[]): Labels {
  return labels.filter(([n]) => !names.includes(n));
}

/** Sets (or with '' removes) one label, keeping the set sorted. */
export function setLabel(labels: Labels, name: string, value: string): Labels {
  const out = labels.filter(([n]) => n !== name);
  if (value === '') return out;
  const i = out.findIndex(([n]) => n > name);
  out.splice(i < 0 ? out.length : i, 0, [name, value]);
  return out;
}

/** The values of `names` (on) or of all labels but `names` and the metric name (ignoring): what vector matching compares. */
export function matchSignature(labels: Labels, on: boolean, names: readonly string[]): string {
  let k = '';
  for (const [n, v] of labels) {
    const listed = names.includes(n);
    if (on ? listed : !listed && n !== METRIC_NAME) k += n + SEP + v + SEP;
  }
  return k;
}

/** The labels `matchSignature` looked at, as Prometheus prints them in matching errors. */
export function matchedLabels(labels: Labels, on: boolean, names: readonly string[]): Labels {
  return labels.filter(([n]) => (on ? names.includes(n) : !names.includes(n) && n !== METRIC_NAME));
}

/** The grouping key of an aggregation: `by` keeps the listed labels, `without` drops them and the name. */
export function groupingKey(labels: Labels, grouping: readonly string[], without: boolean): string {
  let k = '';
  for (const [n, v] of labels) {
    const listed = grouping.includes(n);
    if (without ? !listed && n !== METRIC_NAME : listed) k += n + SEP + v + SEP;
  }
  return k;
}

/** Prometheus's text form of a label set: {a="b", c="d"}. */
export function formatLabels(labels: Labels): string {
  return `{${labels.map(([n, v]) => `${n}=${JSON.stringify(v)}`).join(', ')}}`;
}
