/**
 * JSON written the way Gnocchi's Python server writes it (json.dumps defaults):
 * ", " and ": " separators and non-ASCII characters escaped as \uXXXX. Clients
 * do not care; Gnocchi's test suites and some scripts match on the text.
 */
export function pythonJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'number':
      if (Number.isNaN(value)) return 'NaN';
      if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return asciiString(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return pythonJson((value as { toJSON(): unknown }).toJSON());
      const parts: string[] = [];
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (v !== undefined) parts.push(`${asciiString(k)}: ${pythonJson(v)}`);
      }
      return `{${parts.join(', ')}}`;
    }
    default:
      return 'null';
  }
}

function asciiString(s: string): string {
  const json = JSON.stringify(s);
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\x7f]/.test(json) ? json.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : json;
}
