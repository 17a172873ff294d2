/**
 * Label sets: a series as exposed (`name{a="1",b="x\"y"}`, checked by the
 * exposition parser) turned into labels, with `__name__` for the metric name,
 * and the Prometheus series notation written back from labels.
 */

/** Label name → value; Maps keep the order labels were set in. */
export type Labels = Map<string, string>;

export const METRIC_NAME = '__name__';

/**
 * The labels of a series key produced by parseExposition: `__name__` first,
 * then the labels in exposition order, values unescaped (`\\`, `\"`, `\n`;
 * another escaped character keeps its backslash, as Prometheus does).
 * Throws when a label name appears twice (Prometheus refuses the scrape).
 */
export function parseSeries(key: string): Labels {
  const labels: Labels = new Map();
  let i = 0;
  const n = key.length;
  while (i < n && key[i] !== '{' && key[i] !== ' ' && key[i] !== '\t') i++;
  labels.set(METRIC_NAME, key.slice(0, i));
  i = key.indexOf('{', i);
  if (i < 0) return labels;
  i++;
  for (;;) {
    while (key[i] === ' ' || key[i] === '\t' || key[i] === ',') i++;
    if (i >= n || key[i] === '}') return labels;
    const nameStart = i;
    while (i < n && key[i] !== '=' && key[i] !== ' ' && key[i] !== '\t') i++;
    const name = key.slice(nameStart, i);
    i = key.indexOf('"', i) + 1;
    let value = '';
    let chunk = i;
    while (i < n && key[i] !== '"') {
      if (key[i] === '\\') {
        const next = key[i + 1];
        const replacement = next === '\\' ? '\\' : next === '"' ? '"' : next === 'n' ? '\n' : undefined;
        if (replacement !== undefined) {
          value += key.slice(chunk, i) + replacement;
          chunk = i + 2;
        }
        i += 2;
      } else {
        i++;
      }
    }
    value += key.slice(chunk, i);
    i++;
    if (labels.has(name)) throw new Error(`label ${name} appears twice in ${key}`);
    labels.set(name, value);
  }
}

/** A label value escaped for the series notation: backslash, double quote, newline. */
export function escapeLabelValue(value: string): string {
  if (!/[\\"\n]/.test(value)) return value;
  return value.replace(/[\\"\n]/g, (ch) => (ch === '\n' ? '\\n' : `\\${ch}`));
}

/** `name{a="1",b="2"}` with labels sorted by name (`__name__` and the `skip` ones left out); the name alone without labels. */
export function seriesNotation(labels: Labels, skip: ReadonlySet<string> = new Set()): string {
  const names = [...labels.keys()].filter((k) => k !== METRIC_NAME && !skip.has(k)).sort();
  const name = labels.get(METRIC_NAME) ?? '';
  if (names.length === 0) return name;
  return `${name}{${names.map((k) => `${k}="${escapeLabelValue(labels.get(k) ?? '')}"`).join(',')}}`;
}
