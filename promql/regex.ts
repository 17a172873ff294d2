/**
 * Prometheus's regexes (Go's RE2 syntax, fully anchored) as JavaScript
 * RegExps, and Go's `$1`/`${name}` template expansion for label_replace.
 */

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

const cache = new Map<string, RegExp>();

/** `^(?:re)$` compiled; throws an Error with RE2-like wording when the syntax is invalid. */
export function anchoredRegex(re: string): RegExp {
  let r = cache.get(re);
  if (r === undefined) {
    r = translate(re);
    if (cache.size > 1000) cache.clear();
    cache.set(re, r);
  }
  return r;
}

function translate(re: string): RegExp {
  let flags = '';
  let body = re;
  // leading flag groups such as (?i) or (?s) apply to the whole pattern
  for (;;) {
    const m = /^\(\?([imsU]+)\)/.exec(body);
    if (m === null) break;
    for (const f of m[1]) if ((f === 'i' || f === 's' || f === 'm') && !flags.includes(f)) flags += f;
    body = body.slice(m[0].length);
  }
  body = body
    .replace(/\(\?P</g, '(?<')
    .replace(/\[:(\^?)([a-z]+):\]/g, (all: string, neg: string, name: string) => {
      const cls = POSIX_CLASSES[name];
      if (cls === undefined) return all;
      return neg === '' ? cls : all;
    })
    .replace(/\\z/g, '(?![\\s\\S])')
    .replace(/\\A/g, '^');
  try {
    return new RegExp(`^(?:${body})$`, flags);
  } catch (err) {
    throw new Error(`error parsing regexp: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`);
  }
}

/**
 * Go's Regexp.ExpandString: `$name` takes the longest run of letters,
 * digits and underscores (so `$1x` names a group "1x"), `${name}` is
 * explicit, `$$` is a dollar; unknown groups expand to nothing.
 */
export function expandTemplate(template: string, match: RegExpExecArray): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const c = template[i];
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = template[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    let name: string;
    let end: number;
    if (next === '{') {
      const close = template.indexOf('}', i + 2);
      const inner = close < 0 ? '' : template.slice(i + 2, close);
      if (close < 0 || !/^[A-Za-z0-9_]+$/.test(inner)) {
        out += '$';
        i++;
        continue;
      }
      name = inner;
      end = close + 1;
    } else {
      const m = /^[A-Za-z0-9_]+/.exec(template.slice(i + 1));
      if (m === null) {
        out += '$';
        i++;
        continue;
      }
      name = m[0];
      end = i + 1 + name.length;
    }
    if (/^\d+$/.test(name)) {
      const n = Number(name);
      if (n < match.length && match[n] !== undefined) out += match[n];
    } else {
      const v = match.groups?.[name];
      if (v !== undefined) out += v;
    }
    i = end;
  }
  return out;
}
