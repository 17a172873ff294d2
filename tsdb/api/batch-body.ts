/**
 * A fast reader for the body of `POST /v1/batch/metrics/measures` in its
 * common forms, `{"<metric id>": [{"timestamp": <epoch seconds>, "value": <number>}, …], …}`
 * or with timestamps as ISO 8601 text ("2024-01-01T00:00:10", optional
 * fraction, "Z" or a ±HH:MM offset):
 * one pass over the text straight into Float64Arrays, without building an
 * object per measure as JSON.parse would. Anything else (text timestamps,
 * other keys, escapes, odd numbers) returns null, and the caller parses the
 * body the general way, which words the errors.
 */

export interface FastBatch {
  readonly metricId: string;
  /** µs */
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
}

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/** Two decimal digits at s[i], or NaN. */
function two(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : NaN;
}

class Reader {
  pos = 0;
  constructor(readonly s: string) {}

  ws(): void {
    const s = this.s;
    let c = s.charCodeAt(this.pos);
    while (c === 32 || c === 10 || c === 13 || c === 9) c = s.charCodeAt(++this.pos);
  }

  /** Skips whitespace and consumes `ch`, or reports false. */
  eat(ch: number): boolean {
    this.ws();
    if (this.s.charCodeAt(this.pos) !== ch) return false;
    this.pos++;
    return true;
  }

  /** A string without escapes, or null. */
  string(): string | null {
    this.ws();
    const s = this.s;
    if (s.charCodeAt(this.pos) !== 34) return null;
    const end = s.indexOf('"', this.pos + 1);
    if (end < 0) return null;
    const text = s.slice(this.pos + 1, end);
    if (text.includes('\\')) return null;
    this.pos = end + 1;
    return text;
  }

  /**
   * A quoted ISO 8601 date-time as µs, read in place (no string made); NaN
   * when the next token is not one in the plain form (the general reader,
   * which knows every form Gnocchi takes, handles the rest).
   */
  isoTimestamp(): number {
    this.ws();
    const s = this.s;
    const b = this.pos + 1; // first character inside the quotes
    if (s.charCodeAt(b - 1) !== 34) return NaN;
    const sep = s.charCodeAt(b + 10);
    if (s.charCodeAt(b + 4) !== 45 || s.charCodeAt(b + 7) !== 45 || (sep !== 84 && sep !== 32) || s.charCodeAt(b + 13) !== 58 || s.charCodeAt(b + 16) !== 58) return NaN;
    const year = two(s, b) * 100 + two(s, b + 2);
    const month = two(s, b + 5);
    const day = two(s, b + 8);
    const h = two(s, b + 11);
    const mi = two(s, b + 14);
    const sec = two(s, b + 17);
    if (!(year >= 0 && month >= 1 && month <= 12 && day >= 1 && day <= 31 && h <= 23 && mi <= 59 && sec <= 59)) return NaN;
    let i = b + 19;
    let micros = 0;
    if (s.charCodeAt(i) === 46) {
      i++;
      let n = 0;
      for (let c = s.charCodeAt(i) - 48; c >= 0 && c <= 9; c = s.charCodeAt(++i) - 48, n++) if (n < 6) micros = micros * 10 + c;
      if (n === 0) return NaN;
      for (; n < 6; n++) micros *= 10;
    }
    let offsetMin = 0;
    const z = s.charCodeAt(i);
    if (z === 90) i++;
    else if (z === 43 || z === 45) {
      if (s.charCodeAt(i + 3) !== 58) return NaN;
      offsetMin = (z === 45 ? -1 : 1) * (two(s, i + 1) * 60 + two(s, i + 4));
      if (Number.isNaN(offsetMin)) return NaN;
      i += 6;
    }
    if (s.charCodeAt(i) !== 34) return NaN;
    this.pos = i + 1;
    // one Date.UTC per day: a batch's timestamps share few days
    const dayKey = (year * 100 + month) * 100 + day;
    if (dayKey !== this.lastDayKey) {
      this.lastDayKey = dayKey;
      this.lastDayMs = Date.UTC(year, month - 1, day);
    }
    return (this.lastDayMs + ((h * 60 + mi - offsetMin) * 60 + sec) * 1000) * 1000 + micros;
  }

  private lastDayKey = -1;
  private lastDayMs = 0;

  /** Is the next token the key `name` (followed by ':')? */
  key(name: string): boolean {
    this.ws();
    const s = this.s;
    if (s.charCodeAt(this.pos) !== 34 || !s.startsWith(name, this.pos + 1) || s.charCodeAt(this.pos + 1 + name.length) !== 34) return false;
    this.pos += name.length + 2;
    return this.eat(58);
  }

  /**
   * A JSON number, NaN when the next token is not one. Integers and decimals
   * of up to 15 digits are computed exactly as JSON.parse would (m / 10^k is
   * correctly rounded there); other forms go through Number().
   */
  number(): number {
    this.ws();
    const s = this.s;
    const start = this.pos;
    let i = start;
    let neg = false;
    if (s.charCodeAt(i) === 45) {
      neg = true;
      i++;
    }
    let mantissa = 0;
    let digits = 0;
    let frac = 0;
    let c = s.charCodeAt(i);
    while (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digits++;
      c = s.charCodeAt(++i);
    }
    if (digits === 0) return NaN;
    if (c === 46) {
      c = s.charCodeAt(++i);
      while (c >= 48 && c <= 57) {
        mantissa = mantissa * 10 + (c - 48);
        digits++;
        frac++;
        c = s.charCodeAt(++i);
      }
      if (frac === 0) return NaN;
    }
    if (c === 101 || c === 69) {
      // exponent: rare here, leave it to Number()
      c = s.charCodeAt(++i);
      if (c === 43 || c === 45) c = s.charCodeAt(++i);
      let e = 0;
      while (c >= 48 && c <= 57) {
        e++;
        c = s.charCodeAt(++i);
      }
      if (e === 0) return NaN;
      this.pos = i;
      return Number(s.slice(start, i));
    }
    this.pos = i;
    if (digits > 15) return Number(s.slice(start, i));
    const v = frac === 0 ? mantissa : mantissa / POW10[frac];
    return neg ? -v : v;
  }
}

/** The batch, or null when the body is not in the common form (parse it the general way then). */
export function readFastBatch(text: string): FastBatch[] | null {
  const r = new Reader(text);
  if (!r.eat(123)) return null;
  const out: FastBatch[] = [];
  if (r.eat(125)) return r.pos === text.length || (r.ws(), r.pos === text.length) ? out : null;
  let ts: Float64Array = new Float64Array(1024);
  let vs: Float64Array = new Float64Array(1024);
  // Gnocchi reads every timestamp of a request the way it reads the first: all numbers, or all text
  let textual: boolean | undefined;
  for (;;) {
    const id = r.string();
    if (id === null || !r.eat(58) || !r.eat(91)) return null;
    let n = 0;
    if (!r.eat(93)) {
      for (;;) {
        if (!r.eat(123)) return null;
        let t = NaN;
        let v = NaN;
        for (let k = 0; k < 2; k++) {
          if (r.key('timestamp')) {
            r.ws();
            const isText = text.charCodeAt(r.pos) === 34;
            if (textual === undefined) textual = isText;
            else if (textual !== isText) return null;
            t = isText ? r.isoTimestamp() : Math.round(r.number() * 1e6);
          }
          else if (r.key('value')) v = r.number();
          else return null;
          if (k === 0 && !r.eat(44)) return null;
        }
        if (!r.eat(125) || !Number.isFinite(t) || !Number.isFinite(v) || t < 0) return null;
        if (n === ts.length) {
          const grow = (a: Float64Array): Float64Array => {
            const b = new Float64Array(a.length * 2);
            b.set(a);
            return b;
          };
          ts = grow(ts);
          vs = grow(vs);
        }
        ts[n] = t;
        vs[n] = v;
        n++;
        if (r.eat(93)) break;
        if (!r.eat(44)) return null;
      }
    }
    out.push({ metricId: id, timestamps: ts.slice(0, n), values: vs.slice(0, n) });
    if (r.eat(125)) break;
    if (!r.eat(44)) return null;
  }
  r.ws();
  return r.pos === text.length ? out : null;
}
