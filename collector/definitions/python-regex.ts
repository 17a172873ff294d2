/**
 * Python `re` patterns of definition files as JavaScript RegExps, with
 * re.match's anchoring (at the start only). Named groups and their
 * back-references are the only syntax that differs in the files seen.
 */
export function pythonMatchRegExp(pattern: string): RegExp {
  const js = pattern
    .replace(/\(\?P<([A-Za-z_]\w*)>/g, '(?<$1>')
    .replace(/\(\?P=([A-Za-z_]\w*)\)/g, '\\k<$1>')
    .replace(/\\Z/g, '$(?![\\s\\S])')
    .replace(/\\A/g, '^');
  return new RegExp(`^(?:${js})`);
}
