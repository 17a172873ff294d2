/**
 * The resource search language in its two forms: the JSON tree posted as a
 * body (`{"and": [{"=": {"user_id": "u"}}, {"like": {"name": "a%"}}]}`) and the
 * `filter=` query string (`user_id = u and name like "a%"`). Both end as the
 * same checked tree, with ids mapped like resource ids; shapes and messages
 * follow Gnocchi's ResourceSearchSchema and QueryStringSearchAttrFilter.
 */
import { InvalidInputError } from '../errors.js';
import type { FilterTree } from '../index/filter-sql.js';
import { HttpError, invalidInput } from './http-error.js';
import { resourceUuid } from './resource-id.js';
import { isObject } from '../json-object.js';

const COMPARISONS = ['=', '==', 'eq', '<', 'lt', '>', 'gt', '<=', '≤', 'le', '>=', '≥', 'ge', '!=', '≠', 'ne'];
const CONJUNCTIONS = ['and', '∨', 'or', '∧'];

const isScalar = (v: unknown): boolean => v === null || ['string', 'number', 'boolean'].includes(typeof v);

/** voluptuous' wording: errors about a value say so; errors about keys do not. */
function fail(reason: string, path: (string | number)[]): never {
  const aboutKey = reason === 'extra keys not allowed' || reason === 'required key not provided';
  throw invalidInput(`${reason}${path.length && !aboutKey ? ' for dictionary value' : ''}`, path);
}

/** Checks a search tree and maps its `id` values; `creator` is the caller's, for non-UUID ids. */
export function checkSearchFilter(tree: unknown, creator: string, path: (string | number)[] = []): FilterTree {
  if (!isObject(tree)) fail('expected a dictionary', path);
  const entries = Object.entries(tree);
  if (entries.length > 1) fail('length of value must be at most 1', path);
  if (entries.length === 0) return {};
  const [op, node] = entries[0];
  const here = [...path, op];
  const id = (v: unknown, p: (string | number)[]): string => {
    if (typeof v !== 'string') fail('not a valid value', p);
    try {
      return resourceUuid(v, creator);
    } catch (err) {
      if (err instanceof InvalidInputError) fail(err.reason, p);
      throw err;
    }
  };
  if (COMPARISONS.includes(op) || op === 'like' || op === 'in') {
    if (!isObject(node)) fail('expected a dictionary', here);
    const fields = Object.entries(node);
    if (fields.length < 1) fail('length of value must be at least 1', here);
    if (fields.length > 1) fail('length of value must be at most 1', here);
    const [field, value] = fields[0];
    const at = [...here, field];
    if (field === 'id' && op === 'like') fail('extra keys not allowed', at);
    if (op === 'in') {
      if (!Array.isArray(value)) fail('expected a list', at);
      if (value.length < 1) fail('length of value must be at least 1', at);
      if (field === 'id') return { [op]: { id: value.map((v, i) => id(v, [...at, i])) } };
      value.forEach((v, i) => {
        if (!isScalar(v)) fail('expected str', [...at, i]);
      });
      return { [op]: { [field]: value } };
    }
    if (field === 'id') return { [op]: { id: id(value, at) } };
    if (!isScalar(value)) fail('expected str', at);
    return { [op]: { [field]: value } };
  }
  if (CONJUNCTIONS.includes(op)) {
    if (!Array.isArray(node)) fail('expected a list', here);
    if (node.length < 1) fail('length of value must be at least 1', here);
    return { [op]: node.map((n, i) => checkSearchFilter(n, creator, [...here, i])) };
  }
  if (op === 'not') {
    if (!isObject(node)) fail('expected a dictionary', here);
    return { not: checkSearchFilter(node, creator, here) };
  }
  return fail('extra keys not allowed', here);
}

// ---- the query-string form -------------------------------------------------

type Term = string | number | boolean | null | Term[];
type Node = { readonly cond: [Term, string, Term] } | { readonly op: string; readonly args: Node[] } | { readonly not: Node };

/** Alternatives tried in this order at each position, as Gnocchi's grammar does (so "==" reads as "=" then fails). */
const OPERATOR = /^(>=|<=|!=|>|<|=|==|eq|ne|lt|gt|ge|le|in|like|≠|≥|≤)/u;
const LEVELS = ['∨', 'or', '∧', 'and'] as const;

class FilterParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parse(): Node {
    const node = this.level(0);
    this.skip();
    if (this.pos < this.text.length) this.expected('end of text');
    return node;
  }

  private expected(what: string): never {
    const found = this.text[this.pos] === undefined ? 'end of text' : `'${this.text[this.pos]}'`;
    throw new HttpError(400, `Invalid filter: Expected ${what}, found ${found}  (at char ${this.pos}), (line:1, col:${this.pos + 1})`);
  }

  private skip(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  private rest(): string {
    this.skip();
    return this.text.slice(this.pos);
  }

  /** Binary levels from loosest (∨) to tightest (and); then `not`, then conditions and parentheses. */
  private level(i: number): Node {
    if (i === LEVELS.length) return this.unary();
    const op = LEVELS[i];
    const args = [this.level(i + 1)];
    for (;;) {
      const save = this.pos;
      if (this.rest().startsWith(op)) {
        this.pos += op.length;
        try {
          args.push(this.level(i + 1));
          continue;
        } catch (err) {
          this.pos = save;
          if (!(err instanceof HttpError)) throw err;
        }
      }
      break;
    }
    return args.length === 1 ? args[0] : { op, args };
  }

  private unary(): Node {
    if (this.rest().startsWith('not')) {
      const save = this.pos;
      this.pos += 3;
      try {
        return { not: this.unary() };
      } catch (err) {
        this.pos = save;
        if (!(err instanceof HttpError)) throw err;
      }
    }
    if (this.rest().startsWith('(')) {
      this.pos++;
      const node = this.level(0);
      if (!this.rest().startsWith(')')) this.expected("')'");
      this.pos++;
      return node;
    }
    const left = this.term();
    const m = OPERATOR.exec(this.rest());
    if (!m) this.expected('operator');
    this.pos += m[0].length;
    const right = this.term();
    return { cond: [left, m[0], right] };
  }

  private term(): Term {
    const s = this.rest();
    let m: RegExpExecArray | null;
    if ((m = /^(None|none|null)/.exec(s))) return this.took(m[0], null);
    if ((m = /^(False|True|false|true)/.exec(s))) return this.took(m[0], m[0].toLowerCase() === 'true');
    if ((m = /^[0-9a-fA-F]{8}(?:-?[0-9a-fA-F]{4}){3}-?[0-9a-fA-F]{12}(?![0-9a-fA-F])/.exec(s))) return this.took(m[0], m[0]);
    if ((m = /^[A-Za-z][A-Za-z0-9_]*/.exec(s))) return this.took(m[0], m[0]);
    if ((m = /^[+-]?\d+(:?\.\d*)?(:?[eE][+-]?\d+)?/.exec(s))) return this.took(m[0], Number.parseFloat(m[0].replace(/:/g, '')));
    if ((m = /^"([^"]*)"|^'([^']*)'/.exec(s))) return this.took(m[0], m[1] ?? m[2]);
    if (s.startsWith('[')) {
      this.pos++;
      const list: Term[] = [];
      if (!this.rest().startsWith(']')) {
        list.push(this.term());
        while (this.rest().startsWith(',')) {
          this.pos++;
          list.push(this.term());
        }
      }
      if (!this.rest().startsWith(']')) this.expected("']'");
      this.pos++;
      return list;
    }
    // pyparsing names the outermost alternative that failed
    return this.expected("'∨' term");
  }

  private took(text: string, value: Term): Term {
    this.pos += text.length;
    return value;
  }
}

function toTree(node: Node): Record<string, unknown> {
  if ('cond' in node) {
    const [field, op, value] = node.cond;
    return { [op]: { [String(field)]: value } };
  }
  if ('not' in node) return { not: toTree(node.not) };
  return { [node.op]: node.args.map(toTree) };
}

/** `filter=` text to a checked tree. */
export function parseSearchQuery(text: string, creator: string): FilterTree {
  return checkSearchFilter(toTree(new FilterParser(text).parse()), creator);
}
