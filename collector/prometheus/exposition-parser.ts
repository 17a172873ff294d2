/**
 * Parser of the Prometheus text exposition format 0.0.4 and OpenMetrics 1.0
 * text, hand-written for the scrape hot path: one pass over the text with
 * charCodeAt, samples emitted into a reusable columnar SampleBatch, and no
 * object allocated per sample besides the series string (the key of the
 * scraper's cache). Labels are not unescaped here: the series text is kept as
 * exposed and parsed into labels (series-labels.ts) only when it is new.
 *
 * The two formats, as Prometheus 2.42 reads them:
 * - 0.0.4: tokens separated by spaces or tabs, blank lines and free `#`
 *   comments allowed, `# HELP` / `# TYPE` metadata, optional timestamp in
 *   integer milliseconds, trailing comma allowed in label sets;
 * - OpenMetrics: single spaces, no blank lines, only `# HELP`, `# TYPE`,
 *   `# UNIT` and a final `# EOF`, timestamps in (float) seconds, exemplars
 *   (` # {labels} value [timestamp]` after a sample) checked and skipped.
 * Values as Go's ParseFloat reads them, with NaN, +Inf and -Inf.
 * Malformed input throws an ExpositionError naming the line.
 */
import { type FamilyMetadata, MetricType, SampleBatch } from './sample-batch.js';

export type ExpositionFormat = 'prometheus' | 'openmetrics';

export class ExpositionError extends Error {
  /** 1-based line of the input where parsing stopped */
  readonly line: number;
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'ExpositionError';
    this.line = line;
  }
}

export interface ParseOptions {
  /** also collect HELP, TYPE and UNIT per family into `batch.metadata` */
  readonly metadata?: boolean;
}

// character classes, by char code below 128
const NAME_START = 1; // [a-zA-Z_:]
const NAME = 2; // [a-zA-Z0-9_:]
const LABEL_START = 4; // [a-zA-Z_]
const LABEL = 8; // [a-zA-Z0-9_]
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
  const digit = c >= 48 && c <= 57;
  if (letter || c === 58) CLASS[c] |= NAME_START | NAME;
  if (digit) CLASS[c] |= NAME | LABEL;
  if (letter) CLASS[c] |= LABEL_START | LABEL;
}

const NL = 10;
const SP = 32;
const TAB = 9;
const HASH = 35;
const QUOTE = 34;
const BACKSLASH = 92;
const EQUALS = 61;
const COMMA = 44;
const OPEN = 123;
const CLOSE = 125;

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];
/** below this, mantissa × 10 + 9 is still an exact integer (< 2^53) */
const MANTISSA_LIMIT = 900719925474099;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** false after parseNumber met text that is not a number (NaN is a number here) */
let numberOk = true;

/**
 * The number in text[s, e), as Go's strconv.ParseFloat reads it. Decimal
 * numbers of up to 15 significant digits and exponents within ±22 are
 * computed exactly in place (one correctly rounded operation); the rest goes
 * through Number() on a slice.
 */
function parseNumber(text: string, s: number, e: number): number {
  numberOk = true;
  let i = s;
  let c = text.charCodeAt(i);
  let negative = false;
  if (c === 45) {
    negative = true;
    c = text.charCodeAt(++i);
  } else if (c === 43) {
    c = text.charCodeAt(++i);
  }
  let mantissa = 0;
  let exp = 0;
  let digits = false;
  while (c >= 48 && c <= 57) {
    if (mantissa >= MANTISSA_LIMIT) return parseNumberSlow(text, s, e);
    mantissa = mantissa * 10 + (c - 48);
    digits = true;
    c = text.charCodeAt(++i);
  }
  if (c === 46) {
    c = text.charCodeAt(++i);
    while (c >= 48 && c <= 57) {
      if (mantissa >= MANTISSA_LIMIT) return parseNumberSlow(text, s, e);
      mantissa = mantissa * 10 + (c - 48);
      exp--;
      digits = true;
      c = text.charCodeAt(++i);
    }
  }
  if (!digits) return parseNumberSlow(text, s, e);
  if (c === 101 || c === 69) {
    c = text.charCodeAt(++i);
    let expNegative = false;
    if (c === 45) {
      expNegative = true;
      c = text.charCodeAt(++i);
    } else if (c === 43) {
      c = text.charCodeAt(++i);
    }
    let e10 = 0;
    let expDigits = false;
    while (c >= 48 && c <= 57) {
      if (e10 < 10000) e10 = e10 * 10 + (c - 48);
      expDigits = true;
      c = text.charCodeAt(++i);
    }
    if (!expDigits) return parseNumberSlow(text, s, e);
    exp += expNegative ? -e10 : e10;
  }
  if (i !== e) return parseNumberSlow(text, s, e);
  let v: number;
  if (exp === 0) v = mantissa;
  else if (exp > 0 && exp <= 22) v = mantissa * POW10[exp];
  else if (exp < 0 && exp >= -22) v = mantissa / POW10[-exp];
  else return parseNumberSlow(text, s, e);
  return negative ? -v : v;
}

function parseNumberSlow(text: string, s: number, e: number): number {
  const token = text.slice(s, e);
  if (DECIMAL.test(token)) return Number(token);
  const lower = token.toLowerCase();
  const unsigned = lower.charCodeAt(0) === 43 || lower.charCodeAt(0) === 45 ? lower.slice(1) : lower;
  if (unsigned === 'inf' || unsigned === 'infinity') return lower.charCodeAt(0) === 45 ? -Infinity : Infinity;
  if (unsigned === 'nan') return NaN;
  numberOk = false;
  return NaN;
}

/** A short, quoted view of the input at `i`, for error messages. */
function near(text: string, i: number): string {
  if (i >= text.length) return 'end of input';
  let e = i;
  while (e < text.length && e - i < 24 && text.charCodeAt(e) !== NL) e++;
  return e === i ? 'end of line' : JSON.stringify(text.slice(i, e));
}

// ---- family state (the last `# TYPE`), module-level to keep the loop free of objects

let famName = '';
let famType: MetricType = MetricType.untyped;

/** The type of a sample named text[s, e) under the current family. */
function typeOf(text: string, s: number, e: number): MetricType {
  const fl = famName.length;
  const len = e - s;
  if (fl === 0 || len < fl || !text.startsWith(famName, s)) return MetricType.untyped;
  if (len === fl) return famType;
  const at = s + fl;
  const rest = len - fl;
  switch (famType) {
    case MetricType.counter:
      return suffix(text, at, rest, '_total') || suffix(text, at, rest, '_created') ? famType : MetricType.untyped;
    case MetricType.histogram:
      return suffix(text, at, rest, '_bucket') || suffix(text, at, rest, '_count') || suffix(text, at, rest, '_sum') || suffix(text, at, rest, '_created')
        ? famType
        : MetricType.untyped;
    case MetricType.gaugehistogram:
      return suffix(text, at, rest, '_bucket') || suffix(text, at, rest, '_gcount') || suffix(text, at, rest, '_gsum') ? famType : MetricType.untyped;
    case MetricType.summary:
      return suffix(text, at, rest, '_count') || suffix(text, at, rest, '_sum') || suffix(text, at, rest, '_created') ? famType : MetricType.untyped;
    case MetricType.info:
      return suffix(text, at, rest, '_info') ? famType : MetricType.untyped;
    default:
      return MetricType.untyped;
  }
}

function suffix(text: string, at: number, len: number, s: string): boolean {
  return len === s.length && text.startsWith(s, at);
}

const PROM_TYPES: Readonly<Record<string, MetricType>> = {
  counter: MetricType.counter,
  gauge: MetricType.gauge,
  histogram: MetricType.histogram,
  summary: MetricType.summary,
  untyped: MetricType.untyped,
};
const OM_TYPES: Readonly<Record<string, MetricType>> = {
  counter: MetricType.counter,
  gauge: MetricType.gauge,
  histogram: MetricType.histogram,
  gaugehistogram: MetricType.gaugehistogram,
  summary: MetricType.summary,
  info: MetricType.info,
  stateset: MetricType.stateset,
  unknown: MetricType.untyped,
};

/** HELP text escapes: `\\` and `\n` (and `\"` in OpenMetrics); other backslashes stay. */
function unescapeHelp(s: string, om: boolean): string {
  if (s.indexOf('\\') < 0) return s;
  return s.replace(/\\(.)/g, (m, ch: string) => (ch === '\\' ? '\\' : ch === 'n' ? '\n' : om && ch === '"' ? '"' : m));
}

/**
 * Parses one exposition into `out` (reset first). Throws ExpositionError on
 * malformed input; `out` then holds the samples before the error, which a
 * scraper must not use (Prometheus keeps nothing of a failed scrape).
 */
export function parseExposition(text: string, format: ExpositionFormat, out: SampleBatch, options: ParseOptions = {}): void {
  const om = format === 'openmetrics';
  const wantMeta = options.metadata === true;
  out.reset();
  famName = '';
  famType = MetricType.untyped;
  const keys = out.keys;
  let values = out.values;
  let timestamps = out.timestamps;
  let types = out.types;
  let same = out.same;
  let count = 0;
  const n = text.length;
  let i = 0;
  let line = 1;
  let sawEof = false;

  while (i < n) {
    let c = text.charCodeAt(i);
    if (!om) {
      while (c === SP || c === TAB) c = text.charCodeAt(++i);
      if (i >= n) break;
    }
    if (c === NL) {
      if (om) throw new ExpositionError(line, 'empty line (not allowed in OpenMetrics)');
      i++;
      line++;
      continue;
    }
    if (c === HASH) {
      const r = om ? omComment(text, i, line, out, wantMeta) : promComment(text, i, line, out, wantMeta);
      if (r < 0) {
        sawEof = true;
        i = n;
        break;
      }
      i = r;
      line++;
      continue;
    }

    // ---- a sample: name [labels] value [timestamp] [exemplar]
    const start = i;
    if (!(c < 128 && (CLASS[c] & NAME_START) !== 0)) throw new ExpositionError(line, `expected a metric name, got ${near(text, i)}`);
    c = text.charCodeAt(++i);
    while (c < 128 && (CLASS[c] & NAME) !== 0) c = text.charCodeAt(++i);
    const nameEnd = i;
    let keyEnd = i;
    if (!om) while (c === SP || c === TAB) c = text.charCodeAt(++i);
    if (c === OPEN) {
      i = scanLabels(text, i + 1, om, line);
      keyEnd = i;
      c = text.charCodeAt(i);
      if (!om) while (c === SP || c === TAB) c = text.charCodeAt(++i);
    }
    if (om) {
      if (c !== SP) throw new ExpositionError(line, `expected a space and a value after the series, got ${near(text, i)}`);
      c = text.charCodeAt(++i);
    } else if (i === keyEnd) {
      throw new ExpositionError(line, `expected a value after the series, got ${near(text, i)}`);
    }
    const vStart = i;
    while (i < n && c !== SP && c !== NL && c !== TAB) c = text.charCodeAt(++i);
    if (i === vStart) throw new ExpositionError(line, `expected a value after the series, got ${near(text, i)}`);
    const value = parseNumber(text, vStart, i);
    if (!numberOk) throw new ExpositionError(line, `invalid value ${JSON.stringify(text.slice(vStart, i))}`);

    let ts = NaN;
    if (om) {
      if (c === SP) {
        c = text.charCodeAt(++i);
        if (c === HASH) {
          i = skipExemplar(text, i, line);
        } else {
          const tStart = i;
          while (i < n && c !== SP && c !== NL) c = text.charCodeAt(++i);
          const seconds = parseNumber(text, tStart, i);
          if (!numberOk || i === tStart || !Number.isFinite(seconds)) {
            throw new ExpositionError(line, `invalid timestamp ${JSON.stringify(text.slice(tStart, i))}`);
          }
          ts = seconds * 1000;
          if (c === SP) {
            c = text.charCodeAt(++i);
            if (c !== HASH) throw new ExpositionError(line, `expected an exemplar or the end of the line after the timestamp, got ${near(text, i)}`);
            i = skipExemplar(text, i, line);
          }
        }
        c = text.charCodeAt(i);
      }
    } else if (c === SP || c === TAB) {
      while (c === SP || c === TAB) c = text.charCodeAt(++i);
      if (c >= 48 && c <= 57) {
        const tStart = i;
        let ms = 0;
        while (c >= 48 && c <= 57) {
          ms = ms * 10 + (c - 48);
          c = text.charCodeAt(++i);
        }
        if (i - tStart > 15 || (i < n && c !== SP && c !== TAB && c !== NL)) {
          while (i < n && c !== SP && c !== TAB && c !== NL) c = text.charCodeAt(++i);
          throw new ExpositionError(line, `invalid timestamp ${JSON.stringify(text.slice(tStart, i))}`);
        }
        ts = ms;
        while (c === SP || c === TAB) c = text.charCodeAt(++i);
      }
    }
    if (c === NL) {
      i++;
    } else if (i < n) {
      throw new ExpositionError(line, `expected a timestamp or the end of the line after the value, got ${near(text, i)}`);
    } else if (om) {
      throw new ExpositionError(line, 'data does not end with # EOF');
    }

    if (count === values.length) {
      out.grow();
      values = out.values;
      timestamps = out.timestamps;
      types = out.types;
      same = out.same;
    }
    // an exporter writes its series in the same order every time: when this
    // series is the one the previous parse had at this index, keep that string
    const prev = count < keys.length ? keys[count] : undefined;
    if (prev !== undefined && prev.length === keyEnd - start && text.startsWith(prev, start)) {
      same[count] = 1;
    } else {
      keys[count] = text.substring(start, keyEnd);
      same[count] = 0;
    }
    values[count] = value;
    timestamps[count] = ts;
    types[count] = typeOf(text, start, nameEnd);
    count++;
    line++;
  }
  if (om && !sawEof) throw new ExpositionError(line, 'data does not end with # EOF');
  out.length = count;
  if (keys.length > count * 2 + 1024) keys.length = count; // let a shrunken scrape free its strings
}

/**
 * Scans a label set from just after `{`; returns the index after `}`. Names
 * must be valid label names, values quoted with `\\`, `\"` and `\n` escapes
 * (any escaped character is skipped, as Prometheus' lexer does), no raw
 * newline inside. 0.0.4 allows spaces and tabs around the tokens.
 */
function scanLabels(text: string, i: number, om: boolean, line: number): number {
  const n = text.length;
  let c = text.charCodeAt(i);
  for (;;) {
    if (!om) while (c === SP || c === TAB) c = text.charCodeAt(++i);
    if (c === CLOSE) return i + 1;
    if (!(c < 128 && (CLASS[c] & LABEL_START) !== 0)) throw new ExpositionError(line, `expected a label name or "}", got ${near(text, i)}`);
    c = text.charCodeAt(++i);
    while (c < 128 && (CLASS[c] & LABEL) !== 0) c = text.charCodeAt(++i);
    if (!om) while (c === SP || c === TAB) c = text.charCodeAt(++i);
    if (c !== EQUALS) throw new ExpositionError(line, `expected "=" after the label name, got ${near(text, i)}`);
    c = text.charCodeAt(++i);
    if (!om) while (c === SP || c === TAB) c = text.charCodeAt(++i);
    if (c !== QUOTE) throw new ExpositionError(line, `expected a quoted label value, got ${near(text, i)}`);
    c = text.charCodeAt(++i);
    while (c !== QUOTE) {
      if (c === BACKSLASH) {
        i++;
        if (text.charCodeAt(i) === NL) break;
      } else if (c === NL || i >= n) {
        break;
      }
      c = text.charCodeAt(++i);
    }
    if (c !== QUOTE) throw new ExpositionError(line, 'label value not closed before the end of the line');
    c = text.charCodeAt(++i);
    if (!om) while (c === SP || c === TAB) c = text.charCodeAt(++i);
    if (c === COMMA) {
      c = text.charCodeAt(++i);
    } else if (c !== CLOSE) {
      throw new ExpositionError(line, `expected "," or "}" after the label value, got ${near(text, i)}`);
    }
  }
}

/** OpenMetrics exemplar ` # {labels} value [timestamp]`, from the `#`: checked, not kept. Returns the index of the end of the line. */
function skipExemplar(text: string, i: number, line: number): number {
  if (!text.startsWith('# {', i)) throw new ExpositionError(line, `expected an exemplar "# {…}" after the sample, got ${near(text, i)}`);
  i = scanLabels(text, i + 3, true, line);
  const n = text.length;
  if (text.charCodeAt(i) !== SP) throw new ExpositionError(line, `expected a value after the exemplar's labels, got ${near(text, i)}`);
  for (let field = 0; field < 2; field++) {
    const s = ++i;
    let c = text.charCodeAt(i);
    while (i < n && c !== SP && c !== NL) c = text.charCodeAt(++i);
    parseNumber(text, s, i);
    if (!numberOk || i === s) throw new ExpositionError(line, `invalid exemplar ${field === 0 ? 'value' : 'timestamp'} ${JSON.stringify(text.slice(s, i))}`);
    if (c !== SP) break;
  }
  return i;
}

/** 0.0.4 comment from `#`: HELP and TYPE are metadata, other comments are skipped. Returns the index after the line. */
function promComment(text: string, i: number, line: number, out: SampleBatch, wantMeta: boolean): number {
  let eol = text.indexOf('\n', i);
  if (eol < 0) eol = text.length;
  let p = i + 1;
  let c = text.charCodeAt(p);
  if (c !== SP && c !== TAB) return eol + 1;
  while (c === SP || c === TAB) c = text.charCodeAt(++p);
  const help = text.startsWith('HELP', p);
  if (!help && !text.startsWith('TYPE', p)) return eol + 1;
  p += 4;
  c = text.charCodeAt(p);
  if (c !== SP && c !== TAB) return eol + 1; // e.g. "# HELPFUL": a plain comment
  while (c === SP || c === TAB) c = text.charCodeAt(++p);
  const nameStart = p;
  if (!(c < 128 && (CLASS[c] & NAME_START) !== 0)) throw new ExpositionError(line, `expected a metric name after ${help ? 'HELP' : 'TYPE'}, got ${near(text, p)}`);
  c = text.charCodeAt(++p);
  while (c < 128 && (CLASS[c] & NAME) !== 0) c = text.charCodeAt(++p);
  const nameEnd = p;
  if (p < eol && c !== SP && c !== TAB) throw new ExpositionError(line, `invalid metric name in ${help ? 'HELP' : 'TYPE'}: ${near(text, nameStart)}`);
  while (c === SP || c === TAB) c = text.charCodeAt(++p);
  const body = text.slice(Math.min(p, eol), eol);
  if (help) {
    if (wantMeta) meta(out, text.slice(nameStart, nameEnd)).help = unescapeHelp(body, false);
  } else {
    const type = PROM_TYPES[body.trimEnd()];
    if (type === undefined) throw new ExpositionError(line, `invalid metric type ${JSON.stringify(body)}`);
    famName = text.slice(nameStart, nameEnd);
    famType = type;
    if (wantMeta) meta(out, famName).type = type;
  }
  return eol + 1;
}

/** OpenMetrics comment from `#`: HELP, TYPE, UNIT or EOF, nothing else. Returns the index after the line, -1 after `# EOF`. */
function omComment(text: string, i: number, line: number, out: SampleBatch, wantMeta: boolean): number {
  let eol = text.indexOf('\n', i);
  if (eol < 0) eol = text.length;
  if (text.startsWith('# EOF', i) && i + 5 === eol) {
    if (eol + 1 < text.length) throw new ExpositionError(line + 1, 'unexpected data after # EOF');
    return -1;
  }
  let kind: 'HELP' | 'TYPE' | 'UNIT';
  if (text.startsWith('# HELP ', i)) kind = 'HELP';
  else if (text.startsWith('# TYPE ', i)) kind = 'TYPE';
  else if (text.startsWith('# UNIT ', i)) kind = 'UNIT';
  else throw new ExpositionError(line, `expected "# HELP", "# TYPE", "# UNIT" or "# EOF", got ${near(text, i)}`);
  let p = i + 7;
  const nameStart = p;
  let c = text.charCodeAt(p);
  if (!(c < 128 && (CLASS[c] & NAME_START) !== 0)) throw new ExpositionError(line, `expected a metric name after ${kind}, got ${near(text, p)}`);
  c = text.charCodeAt(++p);
  while (c < 128 && (CLASS[c] & NAME) !== 0) c = text.charCodeAt(++p);
  const nameEnd = p;
  if (p < eol && c !== SP) throw new ExpositionError(line, `invalid metric name in ${kind}: ${near(text, nameStart)}`);
  const body = p < eol ? text.slice(p + 1, eol) : '';
  const name = text.slice(nameStart, nameEnd);
  if (kind === 'TYPE') {
    const type = OM_TYPES[body];
    if (type === undefined) throw new ExpositionError(line, `invalid metric type ${JSON.stringify(body)}`);
    famName = name;
    famType = type;
    if (wantMeta) meta(out, name).type = type;
  } else if (kind === 'UNIT') {
    if (body !== '' && !(name.endsWith(`_${body}`))) throw new ExpositionError(line, `unit ${JSON.stringify(body)} is not a suffix of the metric name ${JSON.stringify(name)}`);
    if (wantMeta) meta(out, name).unit = body;
  } else if (wantMeta) {
    meta(out, name).help = unescapeHelp(body, true);
  }
  return eol + 1;
}

function meta(out: SampleBatch, name: string): FamilyMetadata {
  let m = out.metadata.get(name);
  if (!m) out.metadata.set(name, (m = { type: MetricType.untyped, help: '', unit: '' }));
  return m;
}

/** The format a scrape answer is in, from its Content-Type, as Prometheus chooses its parser. */
export function formatOfContentType(contentType: string | undefined): ExpositionFormat {
  return contentType !== undefined && contentType.trimStart().toLowerCase().startsWith('application/openmetrics-text') ? 'openmetrics' : 'prometheus';
}

export { SampleBatch };
