/** Archive policies and archive policy rules in the index. */
import { type ArchivePolicy, type ArchivePolicyItem, DEFAULT_ARCHIVE_POLICIES } from '../archive-policy.js';
import { pythonSeconds } from '../time.js';
import {
  ArchivePolicyAlreadyExists,
  ArchivePolicyInUse,
  ArchivePolicyRuleAlreadyExists,
  NoArchivePolicyRuleMatch,
  NoSuchArchivePolicy,
  NoSuchArchivePolicyRule,
  UnsupportedArchivePolicyChange,
  UnsupportedArchivePolicyRuleChange,
} from './errors.js';
import { isForeignKeyViolation, isUniqueViolation } from './pg-errors.js';
import type { Sql } from './sql.js';

export interface ArchivePolicyRule {
  readonly name: string;
  /** fnmatch-style: `*` any run, `?` one character, `[…]` a set */
  readonly metricPattern: string;
  readonly archivePolicyName: string;
}

interface PolicyRow {
  name: string;
  back_window: number;
  definition: ArchivePolicyItem[];
  aggregation_methods: string[];
}

const fromRow = (r: PolicyRow): ArchivePolicy => ({
  name: r.name,
  backWindow: r.back_window,
  definition: r.definition,
  aggregationMethods: r.aggregation_methods,
});

interface RuleRow {
  name: string;
  metric_pattern: string;
  archive_policy_name: string;
}

const ruleFromRow = (r: RuleRow): ArchivePolicyRule => ({ name: r.name, metricPattern: r.metric_pattern, archivePolicyName: r.archive_policy_name });

const compiledPatterns = new Map<string, RegExp>();

/** Python's fnmatch.fnmatchcase, as Gnocchi matches metric names against rule patterns. */
export function fnmatch(name: string, pattern: string): boolean {
  let re = compiledPatterns.get(pattern);
  if (!re) {
    // patterns come from configuration and rules: few, and matched again and again
    if (compiledPatterns.size > 10_000) compiledPatterns.clear();
    compiledPatterns.set(pattern, (re = fnmatchRegExp(pattern)));
  }
  return re.test(name);
}

/**
 * Python 3.11's fnmatch.translate: `*`, `?` (one code point), `[set]` and
 * `[!set]`, where a `]` right after the opening (or the `!`) is literal, a
 * leading `^` is literal, a reversed range (`z-a`) is dropped, and a set
 * left empty matches nothing.
 */
function fnmatchRegExp(pattern: string): RegExp {
  const pat = [...pattern];
  const n = pat.length;
  let re = '';
  let i = 0;
  while (i < n) {
    const c = pat[i++];
    if (c === '*') {
      if (!re.endsWith('.*')) re += '.*';
    } else if (c === '?') re += '.';
    else if (c === '[') {
      let j = i;
      if (j < n && pat[j] === '!') j++;
      if (j < n && pat[j] === ']') j++;
      while (j < n && pat[j] !== ']') j++;
      if (j >= n) {
        re += '\\[';
        continue;
      }
      re += fnmatchSet(pat, i, j);
      i = j + 1;
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'su');
}

/** The set pat[from, to) (between the brackets) as a regular-expression class. */
function fnmatchSet(pat: readonly string[], from: number, to: number): string {
  const negated = pat[from] === '!';
  // split at the hyphens of ranges: "a-cx-z" → ["a", "cx", "z"]
  const chunks: string[][] = [];
  let start = from;
  let k = negated ? from + 2 : from + 1;
  for (;;) {
    while (k < to && pat[k] !== '-') k++;
    if (k >= to) break;
    chunks.push(pat.slice(start, k));
    start = k + 1;
    k = k + 3;
  }
  const last = pat.slice(start, to);
  if (last.length) chunks.push(last);
  else chunks[chunks.length - 1].push('-');
  // a reversed range is dropped, as Python's translate drops it
  for (let c = chunks.length - 1; c > 0; c--) {
    const prev = chunks[c - 1];
    if (prev.length && chunks[c].length && (prev[prev.length - 1].codePointAt(0) ?? 0) > (chunks[c][0].codePointAt(0) ?? 0)) {
      chunks[c - 1] = [...prev.slice(0, -1), ...chunks[c].slice(1)];
      chunks.splice(c, 1);
    }
  }
  const esc = (xs: string[]): string => xs.map((x) => (x === '\\' || x === '-' || x === ']' || x === '[' ? `\\${x}` : x)).join('');
  let stuff = chunks.map(esc).join('-');
  if (stuff === '') return '(?!)';
  if (stuff === '!') return '.';
  if (stuff[0] === '!') stuff = `^${stuff.slice(1)}`;
  else if (stuff[0] === '^') stuff = `\\${stuff}`;
  return `[${stuff}]`;
}

export class ArchivePolicies {
  constructor(private readonly sql: Sql) {}

  async create(policy: ArchivePolicy): Promise<ArchivePolicy> {
    try {
      await this.insert(policy, '');
    } catch (err) {
      if (isUniqueViolation(err)) throw new ArchivePolicyAlreadyExists(policy.name);
      throw err;
    }
    return policy;
  }

  /** Creates Gnocchi's and Ceilometer's default policies that do not exist yet. */
  /** Gnocchi's defaults, as gnocchi-upgrade makes them: the policies, and rule "default" sending every metric name to "low". */
  async createDefaults(): Promise<void> {
    for (const p of DEFAULT_ARCHIVE_POLICIES) await this.insert(p, ' ON CONFLICT (name) DO NOTHING');
    await this.sql.query(
      "INSERT INTO archive_policy_rule (name, metric_pattern, archive_policy_name) SELECT 'default', '*', 'low' WHERE EXISTS (SELECT 1 FROM archive_policy WHERE name = 'low') ON CONFLICT (name) DO NOTHING",
    );
  }

  private insert(p: ArchivePolicy, onConflict: string): Promise<unknown> {
    return this.sql.query(`INSERT INTO archive_policy (name, back_window, definition, aggregation_methods) VALUES ($1, $2, $3, $4)${onConflict}`, [
      p.name,
      p.backWindow,
      JSON.stringify(p.definition),
      JSON.stringify(p.aggregationMethods),
    ]);
  }

  async get(name: string): Promise<ArchivePolicy | undefined> {
    const [row] = await this.sql.query<PolicyRow>('SELECT * FROM archive_policy WHERE name = $1', [name]);
    return row && fromRow(row);
  }

  async list(): Promise<ArchivePolicy[]> {
    return (await this.sql.query<PolicyRow>('SELECT * FROM archive_policy ORDER BY name')).map(fromRow);
  }

  /** Changes points/timespan of existing granularities; granularities themselves cannot change. */
  async update(name: string, definition: readonly ArchivePolicyItem[]): Promise<ArchivePolicy> {
    return this.sql.transaction(async (tx) => {
      const [row] = await tx.query<PolicyRow>('SELECT * FROM archive_policy WHERE name = $1 FOR UPDATE', [name]);
      if (!row) throw new NoSuchArchivePolicy(name);
      const next = [...definition].sort((a, b) => a.granularity - b.granularity);
      if (next.length !== row.definition.length) throw new UnsupportedArchivePolicyChange(name, 'Cannot add or drop granularities');
      row.definition.forEach((d, i) => {
        if (d.granularity !== next[i].granularity) {
          throw new UnsupportedArchivePolicyChange(name, `${pythonSeconds(d.granularity)} granularity interval was changed`);
        }
      });
      await tx.query('UPDATE archive_policy SET definition = $2 WHERE name = $1', [name, JSON.stringify(next)]);
      return fromRow({ ...row, definition: next });
    });
  }

  async delete(name: string): Promise<void> {
    let rows: unknown[];
    try {
      rows = await this.sql.query('DELETE FROM archive_policy WHERE name = $1 RETURNING name', [name]);
    } catch (err) {
      if (isForeignKeyViolation(err)) throw new ArchivePolicyInUse(name);
      throw err;
    }
    if (rows.length === 0) throw new NoSuchArchivePolicy(name);
  }

  // ---- rules ---------------------------------------------------------------

  async createRule(rule: ArchivePolicyRule): Promise<ArchivePolicyRule> {
    try {
      await this.sql.query('INSERT INTO archive_policy_rule (name, metric_pattern, archive_policy_name) VALUES ($1, $2, $3)', [
        rule.name,
        rule.metricPattern,
        rule.archivePolicyName,
      ]);
    } catch (err) {
      if (isForeignKeyViolation(err)) throw new NoSuchArchivePolicy(rule.archivePolicyName);
      if (isUniqueViolation(err)) throw new ArchivePolicyRuleAlreadyExists(rule.name);
      throw err;
    }
    return rule;
  }

  async getRule(name: string): Promise<ArchivePolicyRule | undefined> {
    const [row] = await this.sql.query<RuleRow>('SELECT * FROM archive_policy_rule WHERE name = $1', [name]);
    return row && ruleFromRow(row);
  }

  /** Rules in the order Gnocchi tries them: longest-sorting pattern first (pattern desc, name asc). */
  async listRules(): Promise<ArchivePolicyRule[]> {
    const rows = await this.sql.query<RuleRow>('SELECT * FROM archive_policy_rule ORDER BY metric_pattern COLLATE "C" DESC, name COLLATE "C" ASC');
    return rows.map(ruleFromRow);
  }

  async renameRule(name: string, newName: string): Promise<ArchivePolicyRule> {
    let rows: RuleRow[];
    try {
      rows = await this.sql.query<RuleRow>('UPDATE archive_policy_rule SET name = $2 WHERE name = $1 RETURNING *', [name, newName]);
    } catch (err) {
      if (isUniqueViolation(err)) throw new UnsupportedArchivePolicyRuleChange(name, `Archive policy rule ${newName} already exists.`);
      throw err;
    }
    if (rows.length === 0) throw new NoSuchArchivePolicyRule(name);
    return ruleFromRow(rows[0]);
  }

  async deleteRule(name: string): Promise<void> {
    const rows = await this.sql.query('DELETE FROM archive_policy_rule WHERE name = $1 RETURNING name', [name]);
    if (rows.length === 0) throw new NoSuchArchivePolicyRule(name);
  }

  /** The policy a new metric of this name gets when none is given: the first matching rule's. */
  async policyForMetricName(metricName: string): Promise<string> {
    for (const rule of await this.listRules()) {
      if (fnmatch(metricName, rule.metricPattern)) return rule.archivePolicyName;
    }
    throw new NoArchivePolicyRuleMatch(metricName);
  }
}
