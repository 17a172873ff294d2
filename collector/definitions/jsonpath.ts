/**
 * The JSONPath dialect of Ceilometer's definition files: jsonpath-rw 1.4 with
 * the jsonpath-rw-ext 1.2 extensions (filters, arithmetic, `split`, `sub`,
 * `len`, `sorted`). No JavaScript JSONPath library speaks it: its grammar
 * binds `|` tighter than `.` (so `ctxt.user_id|ctxt.user` is
 * `ctxt.(user_id|ctxt).user`), a one-field operand of `+` is a string, `[*]`
 * wraps a scalar into a list, and values follow Python's operators. The
 * grammar and its precedences are in DEFINITIONS.md beside this file.
 */
import { ConversionError, isMapping, pyInt, pyLen, pyTruthy } from './python-values.js';

/** One match: a value and where it was found (for plugins that look at paths). */
export interface Match {
  readonly value: unknown;
  /** this step of the path as jsonpath-rw prints it ("name", "[0]"); null for the root and computed values */
  readonly step: string | null;
  readonly parent: Match | null;
}

export class JsonPathError extends Error {}

// ---- lexer -----------------------------------------------------------------

type TokenType = 'ID' | 'NUMBER' | 'FLOAT' | 'BOOL' | 'NAMED' | 'WHERE' | 'DOUBLEDOT' | 'FILTER_OP' | 'SORT' | 'LIT' | 'EOF';
interface Token {
  readonly type: TokenType;
  readonly text: string;
  /** ID / NAMED: the text; NUMBER/FLOAT: the number; BOOL: the flag */
  readonly value: string | number | boolean;
  /** a quoted ID: never a keyword */
  readonly quoted?: boolean;
  readonly pos: number;
}

const LITERALS = '*.[]()$,:|&?@+-/';

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const re = (r: RegExp): string | null => {
    r.lastIndex = i;
    const m = r.exec(src);
    return m ? m[0] : null;
  };
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\n') {
      i++;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      let text = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) j++;
        text += src[j++];
      }
      if (j >= src.length) throw new JsonPathError(`unterminated ${c} at ${i} in ${JSON.stringify(src)}`);
      out.push({ type: c === '`' ? 'NAMED' : 'ID', text, value: text, quoted: c !== '`', pos: i });
      i = j + 1;
      continue;
    }
    let m: string | null;
    // the order of jsonpath-rw-ext's lexer: FILTER_OP, SORT_DIRECTION, then names and numbers
    if ((m = re(/==?|<=|>=|!=|<|>|~/y))) {
      out.push({ type: 'FILTER_OP', text: m, value: m, pos: i });
    } else if ((m = re(/,?\s*(\/|\\)/y))) {
      out.push({ type: 'SORT', text: m, value: m[m.length - 1], pos: i });
    } else if ((m = re(/\.\./y))) {
      out.push({ type: 'DOUBLEDOT', text: m, value: m, pos: i });
    } else if ((m = re(/true|false/y)) && !/[a-zA-Z0-9_@-]/.test(src[i + m.length] ?? '')) {
      out.push({ type: 'BOOL', text: m, value: m === 'true', pos: i });
    } else if ((m = re(/@?[a-zA-Z_][a-zA-Z0-9_@-]*/y))) {
      out.push({ type: m === 'where' ? 'WHERE' : 'ID', text: m, value: m, pos: i });
    } else if ((m = re(/-?\d+\.\d+/y))) {
      out.push({ type: 'FLOAT', text: m, value: Number(m), pos: i });
    } else if ((m = re(/-?\d+/y))) {
      out.push({ type: 'NUMBER', text: m, value: Number(m), pos: i });
    } else if (LITERALS.includes(c)) {
      out.push({ type: 'LIT', text: c, value: c, pos: i });
      m = c;
    } else {
      throw new JsonPathError(`unexpected character ${JSON.stringify(c)} at ${i} in ${JSON.stringify(src)}`);
    }
    i += m.length;
  }
  out.push({ type: 'EOF', text: '', value: '', pos: src.length });
  return out;
}

// ---- syntax tree -------------------------------------------------------------

type Operand = Node | string | number | boolean;
type Node =
  | { readonly k: 'root' }
  | { readonly k: 'this' }
  | { readonly k: 'parent' }
  | { readonly k: 'fields'; readonly names: readonly string[] }
  | { readonly k: 'index'; readonly index: number }
  | { readonly k: 'slice'; readonly start: number | null; readonly end: number | null; readonly any: boolean }
  | { readonly k: 'child' | 'descendants' | 'where' | 'union'; readonly left: Node; readonly right: Node }
  | { readonly k: 'op'; readonly left: Operand; readonly op: string; readonly right: Operand }
  | { readonly k: 'filter'; readonly exprs: readonly FilterExpr[] }
  | { readonly k: 'sorted'; readonly by: readonly { readonly path: Node; readonly reverse: boolean }[] }
  | { readonly k: 'len' }
  | { readonly k: 'split'; readonly sep: string; readonly segment: number; readonly maxSplit: number }
  | { readonly k: 'sub'; readonly regex: RegExp; readonly repl: string };

interface FilterExpr {
  readonly target: Node;
  readonly op: string | null;
  readonly value: string | number | boolean | null;
  /** NUMBER compares as Python int(value); FLOAT as is */
  readonly isInt: boolean;
}

/**
 * Binding powers as jsonpath-rw's precedence table, loosest first. The
 * arithmetic operators come through one `operator` non-terminal, so their
 * declared precedences never apply: yacc shifts, and `a * 2 + 1` is
 * `a * (2 + 1)`: one power, grouping to the right.
 */
const INFIX_POWER: Readonly<Record<string, number>> = { '+': 1, '-': 1, '*': 1, '/': 1, '..': 4, '.': 5, '|': 6, '&': 7, where: 8 };
const RIGHT_ASSOC = new Set(['+', '-', '*', '/']);

class Parser {
  private p = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly src: string,
  ) {}

  private peek(): Token {
    return this.tokens[this.p];
  }
  private next(): Token {
    return this.tokens[this.p++];
  }
  private fail(t: Token): never {
    throw new JsonPathError(`parse error at ${t.pos} near ${JSON.stringify(t.text || 'end')} in ${JSON.stringify(this.src)}`);
  }
  private isLit(c: string): boolean {
    const t = this.peek();
    return t.type === 'LIT' && t.text === c;
  }
  private expectLit(c: string): void {
    if (!this.isLit(c)) this.fail(this.peek());
    this.p++;
  }

  parseAll(): Operand {
    const node = this.expression(0);
    if (this.peek().type !== 'EOF') this.fail(this.peek());
    return node;
  }

  private infixOf(t: Token): string | null {
    if (t.type === 'LIT' && '+-*/.|&'.includes(t.text)) return t.text;
    if (t.type === 'DOUBLEDOT') return '..';
    if (t.type === 'WHERE') return 'where';
    return null;
  }

  private expression(minPower: number): Operand {
    let left: Operand = this.primary();
    for (;;) {
      const t = this.peek();
      if (t.type === 'LIT' && t.text === '[' && typeof left === 'object') {
        left = { k: 'child', left, right: this.bracket() };
        continue;
      }
      const op = this.infixOf(t);
      if (op === null) break;
      const power = INFIX_POWER[op];
      if (power <= minPower) break;
      this.p++;
      const right = this.expression(RIGHT_ASSOC.has(op) ? power - 1 : power);
      left = this.combine(left, op, right);
    }
    return left;
  }

  private combine(left: Operand, op: string, right: Operand): Operand {
    if ('+-*/'.includes(op)) {
      // a field name alone is a string: "$.a + '_' + $.b"
      return { k: 'op', left: asLiteral(left), op, right: asLiteral(right) };
    }
    if (typeof left !== 'object' || typeof right !== 'object') this.fail(this.peek());
    const k = op === '.' ? 'child' : op === '..' ? 'descendants' : op === 'where' ? 'where' : op === '|' ? 'union' : null;
    if (k === null) throw new JsonPathError(`"&" (intersection) is not implemented by jsonpath-rw either, in ${JSON.stringify(this.src)}`);
    return { k, left, right };
  }

  private primary(): Operand {
    const t = this.next();
    switch (t.type) {
      case 'ID': {
        if (t.text === '@' && !t.quoted) return { k: 'this' };
        const names = [t.value as string];
        // "a,b": several fields
        while (this.isLit(',') && this.tokens[this.p + 1].type === 'ID') {
          this.p++;
          names.push(this.next().value as string);
        }
        return { k: 'fields', names };
      }
      case 'NUMBER':
      case 'FLOAT':
        return t.value as number;
      case 'NAMED':
        return namedOperator(t.value as string, this.src);
      case 'LIT':
        if (t.text === '$') return { k: 'root' };
        if (t.text === '@') return { k: 'this' };
        if (t.text === '*') return { k: 'fields', names: ['*'] };
        if (t.text === '(') {
          const inner = this.expression(0);
          this.expectLit(')');
          return inner;
        }
        if (t.text === '[') {
          this.p--;
          return this.bracket();
        }
        return this.fail(t);
      default:
        return this.fail(t);
    }
  }

  /** `[ idx | slice | fields | ?filter | sorts ]` */
  private bracket(): Node {
    this.expectLit('[');
    const t = this.peek();
    let node: Node;
    if (t.type === 'LIT' && t.text === '?') {
      this.p++;
      node = { k: 'filter', exprs: this.filterExpressions() };
    } else if (t.type === 'SORT') {
      const by: { path: Node; reverse: boolean }[] = [];
      while (this.peek().type === 'SORT') {
        const dir = this.next().value;
        const path = this.expression(0);
        if (typeof path !== 'object') this.fail(this.peek());
        by.push({ path, reverse: dir !== '/' });
      }
      node = { k: 'sorted', by };
    } else if (t.type === 'LIT' && t.text === '*') {
      this.p++;
      node = { k: 'slice', start: null, end: null, any: true };
    } else if (t.type === 'ID') {
      const names: string[] = [];
      do names.push(this.next().value as string);
      while (this.isLit(',') && (this.p++, true));
      node = { k: 'fields', names };
    } else {
      const start = t.type === 'NUMBER' ? (this.next().value as number) : null;
      if (this.isLit(':')) {
        this.p++;
        const end = this.peek().type === 'NUMBER' ? (this.next().value as number) : null;
        node = { k: 'slice', start, end, any: false };
      } else {
        if (start === null) this.fail(this.peek());
        node = { k: 'index', index: start };
      }
    }
    this.expectLit(']');
    return node;
  }

  private filterExpressions(): FilterExpr[] {
    const out: FilterExpr[] = [];
    this.filterList(out);
    return out;
  }

  /** expressions : expression | expressions '&' expressions | '(' expressions ')' */
  private filterList(out: FilterExpr[]): void {
    do {
      if (this.isLit('(')) {
        this.p++;
        this.filterList(out);
        this.expectLit(')');
        continue;
      }
      const target = this.expression(0);
      if (typeof target !== 'object') this.fail(this.peek());
      if (this.peek().type !== 'FILTER_OP') {
        out.push({ target, op: null, value: null, isInt: false });
        continue;
      }
      const op = this.next().value as string;
      const v = this.next();
      if (v.type !== 'ID' && v.type !== 'NUMBER' && v.type !== 'FLOAT' && v.type !== 'BOOL') this.fail(v);
      out.push({ target, op, value: v.value, isInt: v.type === 'NUMBER' || v.type === 'BOOL' });
    } while (this.isLit('&') && (this.p++, true));
  }
}

function asLiteral(o: Operand): Operand {
  return typeof o === 'object' && o.k === 'fields' && o.names.length === 1 ? o.names[0] : o;
}

function namedOperator(text: string, src: string): Node {
  if (text === 'this') return { k: 'this' };
  if (text === 'parent') return { k: 'parent' };
  if (text === 'len') return { k: 'len' };
  if (text === 'sorted') return { k: 'sorted', by: [] };
  let m = /^split\((.),\s+(\d+),\s+(\d+|-1)\)/.exec(text);
  if (text.startsWith('split(')) {
    if (!m) throw new JsonPathError(`${text} is not valid in ${JSON.stringify(src)}`);
    return { k: 'split', sep: m[1], segment: Number(m[2]), maxSplit: Number(m[3]) };
  }
  m = /^sub\(\/(.*)\/,\s+(.*)\)/.exec(text);
  if (text.startsWith('sub(')) {
    if (!m) throw new JsonPathError(`${text} is not valid in ${JSON.stringify(src)}`);
    // Python's \1 backreferences are JavaScript's $1
    return { k: 'sub', regex: new RegExp(m[1].trim(), 'g'), repl: m[2].trim().replace(/\$/g, '$$$$').replace(/\\(\d)/g, '$$$1') };
  }
  throw new JsonPathError(`Unknown named operator \`${text}\` in ${JSON.stringify(src)}`);
}

// ---- evaluation ----------------------------------------------------------------

type Finder = (m: Match) => Match[];

const wrap = (value: unknown): Match => ({ value, step: null, parent: null });


/** Python's + - * / on JSON values; undefined where Python raises TypeError. */
function pyArith(op: string, a: unknown, b: unknown): unknown {
  const num = (x: unknown): number | null => (typeof x === 'number' ? x : typeof x === 'boolean' ? Number(x) : null);
  const x = num(a);
  const y = num(b);
  if (x !== null && y !== null) {
    if (op === '+') return x + y;
    if (op === '-') return x - y;
    if (op === '*') return x * y;
    if (y === 0) throw new JsonPathError('division by zero');
    return x / y;
  }
  if (op === '+' && typeof a === 'string' && typeof b === 'string') return a + b;
  if (op === '+' && Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  if (op === '*') {
    const [s, n] = typeof a === 'string' && Number.isInteger(y) ? [a, y as number] : typeof b === 'string' && Number.isInteger(x) ? [b, x as number] : [null, 0];
    if (s !== null) return s.repeat(Math.max(0, n));
  }
  return undefined;
}

function pyCompare(op: string, a: unknown, b: unknown): boolean {
  switch (op) {
    case '=':
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '~':
      return typeof a === 'string' && typeof b === 'string' && new RegExp(`^(?:${b})`).test(a);
    default: {
      const comparable = (typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string');
      if (!comparable) return false;
      const [x, y] = [a as number | string, b as number | string];
      return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
    }
  }
}

/** Python's int(value) for a filter compared with an integer; null where int() raises. */
function intOrNull(v: unknown): number | null {
  try {
    return pyInt(v);
  } catch (err) {
    if (err instanceof ConversionError) return null;
    throw err;
  }
}

function compile(node: Node): Finder {
  switch (node.k) {
    case 'root':
      return (m) => {
        let top = m;
        while (top.parent) top = top.parent;
        return [{ value: top.value, step: null, parent: null }];
      };
    case 'this':
      return (m) => [m];
    case 'parent':
      return (m) => (m.parent ? [m.parent] : []);
    case 'fields': {
      const { names } = node;
      if (names.length === 1 && names[0] !== '*') {
        const name = names[0];
        return (m) => (isMapping(m.value) && Object.hasOwn(m.value, name) ? [{ value: m.value[name], step: name, parent: m }] : []);
      }
      return (m) => {
        if (!isMapping(m.value)) return [];
        const v = m.value;
        const keys = names.includes('*') ? Object.keys(v) : names;
        const out: Match[] = [];
        for (const k of keys) if (Object.hasOwn(v, k)) out.push({ value: v[k], step: k, parent: m });
        return out;
      };
    }
    case 'index': {
      const { index } = node;
      return (m) => {
        const v = m.value;
        if (typeof v !== 'string' && !Array.isArray(v)) return [];
        const i = index < 0 ? v.length + index : index;
        return i >= 0 && i < v.length ? [{ value: v[i], step: `[${index}]`, parent: m }] : [];
      };
    }
    case 'slice': {
      const { start, end } = node;
      return (m) => {
        if (!pyTruthy(m.value)) return [];
        // jsonpath-rw's hack: a dict, a number or a string is a list of one
        const list: unknown[] = Array.isArray(m.value) ? m.value : [m.value];
        const from = start === null ? 0 : start < 0 ? Math.max(0, list.length + start) : Math.min(start, list.length);
        const to = end === null ? list.length : end < 0 ? Math.max(0, list.length + end) : Math.min(end, list.length);
        const parent = Array.isArray(m.value) ? m : { value: list, step: m.step, parent: m.parent };
        const out: Match[] = [];
        for (let i = from; i < to; i++) out.push({ value: list[i], step: `[${i}]`, parent });
        return out;
      };
    }
    case 'child': {
      const left = compile(node.left);
      const right = compile(node.right);
      return (m) => {
        const out: Match[] = [];
        for (const l of left(m)) for (const r of right(l)) out.push(r);
        return out;
      };
    }
    case 'union': {
      const left = compile(node.left);
      const right = compile(node.right);
      return (m) => [...left(m), ...right(m)];
    }
    case 'where': {
      const left = compile(node.left);
      const right = compile(node.right);
      return (m) => left(m).filter((l) => right(l).length > 0);
    }
    case 'descendants': {
      const left = compile(node.left);
      const right = compile(node.right);
      const recurse = (m: Match, out: Match[]): void => {
        for (const r of right(m)) out.push(r);
        const v = m.value;
        if (Array.isArray(v)) v.forEach((x, i) => recurse({ value: x, step: `[${i}]`, parent: m }, out));
        else if (isMapping(v)) for (const k of Object.keys(v)) recurse({ value: v[k], step: k, parent: m }, out);
      };
      return (m) => {
        const out: Match[] = [];
        for (const l of left(m)) recurse(l, out);
        return out;
      };
    }
    case 'op': {
      const { op } = node;
      const side = (o: Operand): Finder | null => (typeof o === 'object' ? compile(o) : null);
      const lf = side(node.left);
      const rf = side(node.right);
      const lv = node.left;
      const rv = node.right;
      return (m) => {
        const out: Match[] = [];
        if (lf && rf) {
          const ls = lf(m);
          const rs = rf(m);
          if (ls.length === 0 || ls.length !== rs.length) return [];
          for (let i = 0; i < ls.length; i++) {
            const v = pyArith(op, ls[i].value, rs[i].value);
            if (v === undefined) return [];
            out.push(wrap(v));
          }
        } else if (lf || rf) {
          for (const x of (lf ?? rf)!(m)) {
            const v = lf ? pyArith(op, x.value, rv) : pyArith(op, lv, x.value);
            if (v === undefined) return [];
            out.push(wrap(v));
          }
        } else {
          const v = pyArith(op, lv, rv);
          if (v === undefined) return [];
          out.push(wrap(v));
        }
        return out;
      };
    }
    case 'filter': {
      const exprs = node.exprs.map((e) => ({ ...e, find: compile(e.target) }));
      return (m) => {
        if (exprs.length === 0) return [m];
        if (!Array.isArray(m.value)) return [];
        const out: Match[] = [];
        m.value.forEach((item, i) => {
          const here = wrap(item);
          const ok = exprs.every((e) => {
            const found = e.find(here);
            if (found.length === 0) return false;
            if (e.op === null) return true;
            return found.some((f) => {
              if (f.value === null || f.value === undefined) return false;
              const v = e.isInt ? intOrNull(f.value) : f.value;
              return v !== null && pyCompare(e.op!, v, typeof e.value === 'boolean' ? Number(e.value) : e.value);
            });
          });
          if (ok) out.push({ value: item, step: `[${i}]`, parent: m });
        });
        return out;
      };
    }
    case 'sorted': {
      const by = node.by.map((b) => ({ find: compile(b.path), reverse: b.reverse }));
      return (m) => {
        const v = m.value;
        if (isMapping(v) && by.length > 0) return [m];
        if (!isMapping(v) && !Array.isArray(v)) return [m];
        const items: unknown[] = isMapping(v) ? Object.keys(v) : [...v];
        if (by.length === 0) items.sort((a, b) => (pyCompare('<', a, b) ? -1 : pyCompare('<', b, a) ? 1 : 0));
        else {
          items.sort((a, b) => {
            for (const { find, reverse } of by) {
              const l = find(wrap(a));
              const r = find(wrap(b));
              if (l.length !== 1 || r.length !== 1 || l[0].value === r[0].value) continue;
              const lt = pyCompare('<', l[0].value, r[0].value);
              return lt ? (reverse ? 1 : -1) : reverse ? -1 : 1;
            }
            return 0;
          });
        }
        return [wrap(items)];
      };
    }
    case 'len':
      return (m) => {
        const n = pyLen(m.value);
        return n === null ? [] : [wrap(n)];
      };
    case 'split': {
      const { sep, segment, maxSplit } = node;
      return (m) => {
        if (typeof m.value !== 'string') return [];
        const parts = pySplit(m.value, sep, maxSplit);
        return segment < parts.length ? [wrap(parts[segment])] : [];
      };
    }
    case 'sub': {
      const { regex, repl } = node;
      return (m) => {
        if (typeof m.value !== 'string') return [];
        const v = m.value.replace(regex, repl);
        return v === m.value ? [] : [wrap(v)];
      };
    }
  }
}

/** Python's str.split(sep, maxsplit): maxsplit -1 splits everywhere. */
export function pySplit(s: string, sep: string, maxSplit: number): string[] {
  const all = s.split(sep);
  if (maxSplit < 0 || all.length <= maxSplit + 1) return all;
  return [...all.slice(0, maxSplit), all.slice(maxSplit).join(sep)];
}

/** A compiled expression: every match, in jsonpath-rw's order. */
export interface JsonPath {
  readonly text: string;
  find(data: unknown): Match[];
  /**
   * For a plain chain of field names (`$.payload.instance_id`, most paths of
   * the definition files): the value found, or undefined; no matches built.
   */
  readonly lookup?: (data: unknown) => unknown;
}

/** The field names of `$.a.b.c` / `a.b.c`, or null for anything else. */
function plainChain(node: Operand): string[] | null {
  if (typeof node !== 'object') return null;
  if (node.k === 'root') return [];
  if (node.k === 'fields') return node.names.length === 1 && node.names[0] !== '*' ? [node.names[0]] : null;
  if (node.k !== 'child') return null;
  const left = plainChain(node.left);
  const right = plainChain(node.right);
  if (left === null || right === null || (node.right.k === 'root')) return null;
  return [...left, ...right];
}

const cache = new Map<string, JsonPath>();

/** Parses once per distinct text (definitions repeat the same paths many times). */
export function parseJsonPath(text: string): JsonPath {
  let p = cache.get(text);
  if (!p) {
    const ast = new Parser(tokenize(text), text).parseAll();
    const finder: Finder = typeof ast === 'object' ? compile(ast) : () => [wrap(ast)];
    const keys = plainChain(ast);
    const lookup =
      keys === null || keys.length === 0
        ? undefined
        : (data: unknown): unknown => {
            let v = data;
            for (let i = 0; i < keys.length; i++) {
              if (!isMapping(v) || !Object.hasOwn(v, keys[i])) return undefined;
              v = v[keys[i]];
            }
            return v;
          };
    p = { text, find: (data) => finder(wrap(data)), lookup };
    cache.set(text, p);
  }
  return p;
}

/** The path of a match as Ceilometer prints it for plugins: the steps joined with dots. */
export function pathOf(m: Match): string {
  const steps: string[] = [];
  for (let x: Match | null = m; x; x = x.parent) if (x.parent && x.step !== null) steps.push(x.step);
  return steps.reverse().join('.');
}
