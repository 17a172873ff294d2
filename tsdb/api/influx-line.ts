/**
 * InfluxDB line protocol, as Gnocchi's InfluxDB-compatible write endpoint
 * reads it:
 *
 *     measurement[,tag=value…] field=value[,field=value…] [timestamp-ns]
 *
 * Names and tag values are bare (with `\ `, `\,`, `\=` escapes) or "quoted";
 * field values are integers (`43i`), floats, or "strings". The timestamp is
 * nanoseconds since the epoch.
 */

export interface InfluxLine {
  readonly measurement: string;
  readonly tags: Record<string, string>;
  /** numeric fields; string fields are dropped (not storable) */
  readonly fields: Record<string, number>;
  /** microseconds, or null when the line has none */
  readonly timestamp: number | null;
}

const NUMBER = /^[+-]?\d+(:?\.\d*)?(:?[eE][+-]?\d+)?/;

class LineReader {
  pos = 0;
  constructor(private readonly s: string) {}

  fail(): never {
    throw new SyntaxError(`unexpected input at ${this.pos}`);
  }

  peek(): string | undefined {
    return this.s[this.pos];
  }

  eat(c: string): boolean {
    if (this.s[this.pos] !== c) return false;
    this.pos++;
    return true;
  }

  /** A name or tag value: "quoted" or bare with escapes; never empty. */
  token(): string {
    if (this.peek() === '"') return this.quoted();
    let out = '';
    while (this.pos < this.s.length) {
      const c = this.s[this.pos];
      if (c === '\\') {
        const next = this.s[this.pos + 1];
        if (next === ' ' || next === ',' || next === '=' || next === '\\') {
          out += next;
          this.pos += 2;
        } else {
          out += '\\';
          this.pos++;
        }
        continue;
      }
      if (c === ' ' || c === ',' || c === '=') break;
      out += c;
      this.pos++;
    }
    if (out === '') this.fail();
    return out;
  }

  quoted(): string {
    if (!this.eat('"')) this.fail();
    let out = '';
    while (this.pos < this.s.length) {
      const c = this.s[this.pos++];
      if (c === '\\' && this.pos < this.s.length) out += this.s[this.pos++];
      else if (c === '"') return out;
      else out += c;
    }
    return this.fail();
  }

  /** An integer field (`43i`), a float, or a quoted string (returned as a string). */
  fieldValue(): number | string {
    if (this.peek() === '"') return this.quoted();
    const rest = this.s.slice(this.pos);
    const int = /^\d+i/.exec(rest);
    if (int) {
      this.pos += int[0].length;
      return Number(int[0].slice(0, -1));
    }
    const m = NUMBER.exec(rest);
    if (!m) this.fail();
    this.pos += m[0].length;
    return Number.parseFloat(m[0].replace(/:/g, ''));
  }
}

export function parseInfluxLine(line: string): InfluxLine {
  const r = new LineReader(line);
  const measurement = r.token();
  const tags: Record<string, string> = {};
  while (r.eat(',')) {
    const k = r.token();
    if (!r.eat('=')) r.fail();
    tags[k] = r.token();
  }
  if (!r.eat(' ')) r.fail();
  const fields: Record<string, number> = {};
  do {
    const k = r.token();
    if (!r.eat('=')) r.fail();
    const v = r.fieldValue();
    if (typeof v === 'number') fields[k] = v;
  } while (r.eat(','));
  let timestamp: number | null = null;
  if (r.eat(' ')) {
    const digits = /^\d+/.exec(line.slice(r.pos))?.[0] ?? r.fail();
    r.pos += digits.length;
    // ns → µs; BigInt keeps the digits a double would round away
    timestamp = Number(BigInt(digits) / 1000n);
  }
  if (r.pos !== line.length) r.fail();
  return { measurement, tags, fields, timestamp };
}
