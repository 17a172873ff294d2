/**
 * Timestamps as Ceilometer reads and prints them: oslo's parse_isotime
 * (the iso8601 package: "T" or space, optional fraction, Z or ±hh[:mm],
 * UTC when no zone) and Python's datetime.isoformat() (the fraction only
 * when non-zero, the zone as ±hh:mm).
 */
export interface PyDateTime {
  /** µs since the epoch, UTC */
  readonly micros: number;
  /** the zone it was written in, minutes east of UTC */
  readonly offsetMinutes: number;
}

const ISO = /^(\d{4})-?(\d{2})-?(\d{2})(?:[T ](\d{2}):?(\d{2})(?::?(\d{2})(?:[.,](\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** the last string parsed and what it gave: a notification's samples share their timestamp */
let lastText = '';
let lastTime: PyDateTime | null = null;

export function parseIsoTime(v: unknown): PyDateTime | null {
  if (typeof v !== 'string') return null;
  if (v === lastText) return lastTime;
  lastTime = parseText(v);
  lastText = v;
  return lastTime;
}

function parseText(v: string): PyDateTime | null {
  const m = ISO.exec(v.trim());
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone = 'Z'] = m;
  const usec = frac === '' ? 0 : Math.floor(Number(`0.${frac}`) * 1e6 + 1e-7);
  let offset = 0;
  if (zone.toUpperCase() !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    offset = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3] ?? 0));
  }
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(ms) || Number(mo) > 12 || Number(d) > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  return { micros: (ms - offset * 60_000) * 1000 + usec, offsetMinutes: offset };
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

let lastFormatted: PyDateTime | null = null;
let lastIso = '';

/** datetime.isoformat() of an aware datetime. */
export function pyIsoFormat(t: PyDateTime): string {
  if (t !== lastFormatted) {
    lastIso = isoFormat(t);
    lastFormatted = t;
  }
  return lastIso;
}

function isoFormat(t: PyDateTime): string {
  const localMicros = t.micros + t.offsetMinutes * 60_000_000;
  const sec = Math.floor(localMicros / 1e6);
  const usec = localMicros - sec * 1e6;
  const d = new Date(sec * 1000);
  const base = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  const frac = usec === 0 ? '' : `.${pad(usec, 6)}`;
  const off = Math.abs(t.offsetMinutes);
  return `${base}${frac}${t.offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(off / 60))}:${pad(off % 60)}`;
}
