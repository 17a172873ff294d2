/**
 * Prometheus relabelling (`relabel_configs`, `metric_relabel_configs`): the
 * actions keep, drop, replace, labelmap, labeldrop and labelkeep, with
 * Prometheus' defaults (action replace, separator `;`, regex `(.*)`,
 * replacement `$1`), regexes fully anchored (`^(?:regex)$`) and `$1`,
 * `${1}`, `$name` references expanded as Go's Regexp.Expand does.
 */
import { ScrapeConfigError } from './config-error.js';
import type { Labels } from './series-labels.js';

export type RelabelAction = 'replace' | 'keep' | 'drop' | 'labelmap' | 'labeldrop' | 'labelkeep';
const ACTIONS: readonly RelabelAction[] = ['replace', 'keep', 'drop', 'labelmap', 'labeldrop', 'labelkeep'];
/** Prometheus actions this scraper does not implement, named so the error says so */
const UNSUPPORTED = ['hashmod', 'keepequal', 'dropequal', 'lowercase', 'uppercase'];

export interface RelabelRule {
  readonly action: RelabelAction;
  readonly sourceLabels: readonly string[];
  readonly separator: string;
  /** the configured regex, anchored */
  readonly regex: RegExp;
  readonly targetLabel: string;
  readonly replacement: string;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
export const isLabelName = (s: string): boolean => LABEL_NAME.test(s);

/**
 * Compiles a Prometheus (RE2) regex as JavaScript, anchored at both ends.
 * RE2 spellings JavaScript lacks are translated: `(?P<name>…)` groups and
 * leading flags such as `(?i)`.
 */
export function compileRegex(source: string, field: string): RegExp {
  let body = source;
  let flags = '';
  const lead = /^\(\?([imsU]+)\)/.exec(body);
  if (lead) {
    if (lead[1].includes('U')) throw new ScrapeConfigError(field, 'the ungreedy flag (?U) is not supported');
    flags = [...new Set(lead[1])].join('');
    body = body.slice(lead[0].length);
  }
  body = body.replace(/\(\?P</g, '(?<');
  try {
    return new RegExp(`^(?:${body})$`, flags);
  } catch (err) {
    throw new ScrapeConfigError(field, `invalid regex ${JSON.stringify(source)}: ${(err as Error).message}`);
  }
}

/** Go's Regexp.Expand: `$1`, `${1}`, `$name`, `${name}` from the match, `$$` a dollar; an unknown group is empty. */
export function expand(template: string, match: RegExpExecArray): string {
  if (!template.includes('$')) return template;
  let out = '';
  let i = 0;
  while (i < template.length) {
    const d = template.indexOf('$', i);
    if (d < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, d);
    if (template[d + 1] === '$') {
      out += '$';
      i = d + 2;
      continue;
    }
    let name: string | undefined;
    let end = d + 1;
    if (template[d + 1] === '{') {
      const close = template.indexOf('}', d + 2);
      const inner = close < 0 ? '' : template.slice(d + 2, close);
      if (close >= 0 && /^\w+$/.test(inner)) {
        name = inner;
        end = close + 1;
      }
    } else {
      const m = /^\w+/.exec(template.slice(d + 1));
      if (m) {
        name = m[0];
        end = d + 1 + name.length;
      }
    }
    if (name === undefined) {
      out += '$';
      i = d + 1;
      continue;
    }
    out += /^\d+$/.test(name) ? (match[Number(name)] ?? '') : (match.groups?.[name] ?? '');
    i = end;
  }
  return out;
}

function asString(raw: unknown, field: string): string {
  if (typeof raw !== 'string') throw new ScrapeConfigError(field, `expected a string, got ${JSON.stringify(raw)}`);
  return raw;
}

/** Validates one list of relabel configs as Prometheus does; `field` is its path for errors. */
export function parseRelabelConfigs(raw: unknown, field: string): RelabelRule[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new ScrapeConfigError(field, 'expected a list of relabel configs');
  return raw.map((item: unknown, i) => parseRelabelConfig(item, `${field}[${i}]`));
}

function parseRelabelConfig(raw: unknown, field: string): RelabelRule {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ScrapeConfigError(field, 'expected a mapping');
  const r = raw as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    if (!['action', 'source_labels', 'separator', 'regex', 'target_label', 'replacement', 'modulus'].includes(key)) {
      throw new ScrapeConfigError(`${field}.${key}`, 'unknown field');
    }
  }
  const actionRaw = r.action === undefined ? 'replace' : asString(r.action, `${field}.action`).toLowerCase();
  if (UNSUPPORTED.includes(actionRaw)) throw new ScrapeConfigError(`${field}.action`, `relabel action ${actionRaw} is not supported (supported: ${ACTIONS.join(', ')})`);
  if (!(ACTIONS as readonly string[]).includes(actionRaw)) throw new ScrapeConfigError(`${field}.action`, `unknown relabel action ${JSON.stringify(actionRaw)}`);
  const action = actionRaw as RelabelAction;
  let sourceLabels: string[] = [];
  if (r.source_labels !== undefined && r.source_labels !== null) {
    if (!Array.isArray(r.source_labels)) throw new ScrapeConfigError(`${field}.source_labels`, 'expected a list of label names');
    sourceLabels = r.source_labels.map((l: unknown, i) => {
      const s = asString(l, `${field}.source_labels[${i}]`);
      if (!isLabelName(s)) throw new ScrapeConfigError(`${field}.source_labels[${i}]`, `${JSON.stringify(s)} is not a valid label name`);
      return s;
    });
  }
  const regexSource = r.regex === undefined || r.regex === null ? '(.*)' : String(r.regex);
  const rule: RelabelRule = {
    action,
    sourceLabels,
    separator: r.separator === undefined ? ';' : asString(r.separator, `${field}.separator`),
    regex: compileRegex(regexSource, `${field}.regex`),
    targetLabel: r.target_label === undefined ? '' : asString(r.target_label, `${field}.target_label`),
    replacement: r.replacement === undefined ? '$1' : asString(r.replacement, `${field}.replacement`),
  };
  if (r.modulus !== undefined) throw new ScrapeConfigError(`${field}.modulus`, 'only used by the hashmod action, which is not supported');
  if (action === 'replace') {
    if (rule.targetLabel === '') throw new ScrapeConfigError(`${field}.target_label`, 'the replace action needs a target_label');
    if (!rule.targetLabel.includes('$') && !isLabelName(rule.targetLabel)) {
      throw new ScrapeConfigError(`${field}.target_label`, `${JSON.stringify(rule.targetLabel)} is not a valid label name`);
    }
  }
  if ((action === 'keep' || action === 'drop') && sourceLabels.length === 0) {
    throw new ScrapeConfigError(`${field}.source_labels`, `the ${action} action needs source_labels`);
  }
  if (action === 'labeldrop' || action === 'labelkeep') {
    for (const key of ['source_labels', 'target_label', 'separator', 'replacement']) {
      if (r[key] !== undefined) throw new ScrapeConfigError(`${field}.${key}`, `not allowed with the ${action} action`);
    }
  }
  return rule;
}

/**
 * Applies the rules in order to `labels` (changed in place). Returns false
 * when a keep or drop rule drops the label set.
 */
export function relabel(labels: Labels, rules: readonly RelabelRule[]): boolean {
  for (const rule of rules) {
    switch (rule.action) {
      case 'keep':
      case 'drop': {
        const matched = rule.regex.test(sourceValue(labels, rule));
        if (matched !== (rule.action === 'keep')) return false;
        break;
      }
      case 'replace': {
        const m = rule.regex.exec(sourceValue(labels, rule));
        if (!m) break;
        const target = expand(rule.targetLabel, m);
        if (!isLabelName(target)) break;
        const value = expand(rule.replacement, m);
        if (value === '') labels.delete(target);
        else labels.set(target, value);
        break;
      }
      case 'labelmap': {
        for (const [name, value] of [...labels]) {
          const m = rule.regex.exec(name);
          if (m) labels.set(expand(rule.replacement, m), value);
        }
        break;
      }
      case 'labeldrop':
      case 'labelkeep': {
        for (const name of [...labels.keys()]) {
          if (rule.regex.test(name) === (rule.action === 'labeldrop')) labels.delete(name);
        }
        break;
      }
    }
  }
  return true;
}

function sourceValue(labels: Labels, rule: RelabelRule): string {
  if (rule.sourceLabels.length === 1) return labels.get(rule.sourceLabels[0]) ?? '';
  return rule.sourceLabels.map((l) => labels.get(l) ?? '').join(rule.separator);
}
