/** Label matchers compiled once per selection: Prometheus's semantics (anchored RE2, a missing label is ""). */
import { anchoredRegex } from './regex.js';
import type { LabelMatcher, Labels } from './series-source.js';

export type LabelsPredicate = (labels: Labels) => boolean;

function valueOf(labels: Labels, name: string): string {
  for (const [k, v] of labels) if (k === name) return v;
  return '';
}

export function compileMatchers(matchers: readonly LabelMatcher[]): LabelsPredicate {
  const tests = matchers.map((m): ((labels: Labels) => boolean) => {
    switch (m.type) {
      case '=':
        return (l) => valueOf(l, m.name) === m.value;
      case '!=':
        return (l) => valueOf(l, m.name) !== m.value;
      case '=~': {
        const re = anchoredRegex(m.value);
        return (l) => re.test(valueOf(l, m.name));
      }
      case '!~': {
        const re = anchoredRegex(m.value);
        return (l) => !re.test(valueOf(l, m.name));
      }
    }
  });
  return (labels) => {
    for (const t of tests) if (!t(labels)) return false;
    return true;
  };
}
