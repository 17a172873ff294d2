/**
 * A query narrowed to one project: every series selector gets one more
 * matcher, `label="value"`, so that the query sees only that project's
 * series whatever the selectors ask (Aodh's PromQLRbac does the same to the
 * prometheus rules of non-admins, with the label `project`). The text is
 * edited where the parser found each selector; the rest stays as written.
 */
import type { Expr } from './ast.js';
import { parseExpr } from './parse.js';

function selectors(e: Expr, out: { start: number; end: number }[]): void {
  if (e.type === 'VectorSelector') {
    out.push(e.pos);
    return;
  }
  for (const v of Object.values(e)) {
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) for (const item of v) if (item !== null && typeof item === 'object' && 'type' in item) selectors(item as Expr, out);
    if ('type' in v && typeof (v as { type: unknown }).type === 'string') selectors(v as Expr, out);
  }
}

export function scopedQuery(query: string, label: string, value: string): string {
  const found: { start: number; end: number }[] = [];
  selectors(parseExpr(query), found);
  // from the last to the first, so that earlier positions stay right
  found.sort((a, b) => b.start - a.start);
  const matcher = `${label}=${JSON.stringify(value)}`;
  let out = query;
  for (const { start, end } of found) {
    const text = out.slice(start, end);
    let scoped: string;
    if (!text.endsWith('}')) scoped = `${text}{${matcher}}`;
    else {
      const inner = text.slice(text.indexOf('{') + 1, -1).trim();
      scoped = `${text.slice(0, text.lastIndexOf('}'))}${inner === '' || inner.endsWith(',') ? '' : ','}${matcher}}`;
    }
    out = out.slice(0, start) + scoped + out.slice(end);
  }
  return out;
}
