/**
 * PromQL's literals as Prometheus reads them: Go-quoted strings, durations
 * with units from ms to y, and numbers (decimal, hex, octal, Inf, NaN).
 */

const SIMPLE_ESCAPES: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92 };

/**
 * The value of a quoted string token ("…", '…' with Go's escapes, or `…`
 * raw), or an Error saying what is wrong with it.
 */
export function unquote(token: string): string | Error {
  const quote = token[0];
  if (token.length < 2 || token[token.length - 1] !== quote) return new Error('unterminated quoted string');
  const body = token.slice(1, -1);
  if (quote === '`') return body.includes('`') ? new Error('invalid syntax') : body;
  if (quote !== '"' && quote !== "'") return new Error('invalid syntax');
  if (!body.includes('\\')) {
    if (body.includes(quote) || body.includes('\n')) return new Error('invalid syntax');
    return body;
  }
  // \x and octal escapes are bytes, not characters: collect UTF-8 bytes and decode once
  const bytes: number[] = [];
  const pushText = (s: string): void => {
    for (const b of Buffer.from(s, 'utf8')) bytes.push(b);
  };
  let i = 0;
  while (i < body.length) {
    const c = body[i];
    if (c === quote || c === '\n') return new Error('invalid syntax');
    if (c !== '\\') {
      const cp = body.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      pushText(ch);
      i += ch.length;
      continue;
    }
    const e = body[i + 1];
    if (e === undefined) return new Error('invalid syntax');
    if (e in SIMPLE_ESCAPES) {
      bytes.push(SIMPLE_ESCAPES[e]);
      i += 2;
    } else if (e === '"' || e === "'") {
      if (e !== quote) return new Error('invalid syntax');
      bytes.push(e.charCodeAt(0));
      i += 2;
    } else if (e === 'x') {
      const h = body.slice(i + 2, i + 4);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) return new Error('invalid syntax');
      bytes.push(parseInt(h, 16));
      i += 4;
    } else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      const h = body.slice(i + 2, i + 2 + n);
      if (h.length !== n || !/^[0-9a-fA-F]+$/.test(h)) return new Error('invalid syntax');
      const cp = parseInt(h, 16);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) return new Error('invalid syntax');
      pushText(String.fromCodePoint(cp));
      i += 2 + n;
    } else if (e >= '0' && e <= '7') {
      const o = body.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(o) || parseInt(o, 8) > 255) return new Error('invalid syntax');
      bytes.push(parseInt(o, 8));
      i += 4;
    } else {
      return new Error('invalid syntax');
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

const DURATION_RE = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const UNIT_MS = [365 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1];

/** A duration such as `5m`, `1h30m`, `1d` in milliseconds, or an Error. */
export function parseDuration(text: string): number | Error {
  const m = DURATION_RE.exec(text);
  if (text === '' || m === null) return new Error(`not a valid duration string: "${text}"`);
  let ms = 0;
  for (let i = 0; i < UNIT_MS.length; i++) if (m[i + 1] !== undefined) ms += Number(m[i + 1]) * UNIT_MS[i];
  if (!Number.isSafeInteger(ms)) return new Error(`not a valid duration string: "${text}"`);
  return ms;
}

/**
 * A number token as Prometheus reads it: an integer in Go's base-prefixed
 * syntax first (so `0x1f` is hex and `010` octal), else a float (`1e3`,
 * `.5`, `Inf`, `NaN`, case-insensitive).
 */
export function parseNumber(text: string): number | Error {
  const t = text.toLowerCase();
  if (t === 'inf' || t === '+inf') return Infinity;
  if (t === '-inf') return -Infinity;
  if (t === 'nan' || t === '+nan' || t === '-nan') return NaN;
  if (/^0x[0-9a-f]+$/.test(t)) return int64OrFloat(BigInt(t), t);
  if (/^0[0-7]+$/.test(t)) return int64OrFloat(BigInt('0o' + t.slice(1)), t);
  if (/^\d+$/.test(t)) return int64OrFloat(BigInt(t), t);
  if (/^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) return Number(t);
  return new Error(`strconv.ParseFloat: parsing "${text}": invalid syntax`);
}

function int64OrFloat(n: bigint, t: string): number | Error {
  if (n <= 0x7fffffffffffffffn) return Number(n);
  // beyond int64 Go falls back to ParseFloat, which reads no hex/octal integers
  if (/^\d+$/.test(t) && !/^0\d/.test(t)) return Number(t);
  return new Error(`strconv.ParseFloat: parsing "${t}": invalid syntax`);
}

/** Prometheus's label name syntax. */
export function isValidLabelName(name: string): boolean {
  return /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name);
}
