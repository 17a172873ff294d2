/** RFC 4180 CSV: a header row and rows, fields quoted when they need it, CRLF line ends. */

const field = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

export function csvTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  let out = `${header.map(field).join(',')}\r\n`;
  for (const r of rows) out += `${r.map(field).join(',')}\r\n`;
  return out;
}
