/**
 * The process's memory as Linux accounts for it: resident set (anonymous and
 * file-backed) from /proc/self/status, and the resident part of given
 * mappings from /proc/self/smaps (a memory-mapped file, a WASM memory).
 * Elsewhere every figure is 0.
 */
import { readFileSync } from 'node:fs';

export interface ResidentSet {
  readonly rss: number;
  readonly anon: number;
  readonly file: number;
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** The resident set of this process, or of another by its pid (all 0 once it is gone). */
export function residentSet(pid: number | 'self' = 'self'): ResidentSet {
  const status = read(`/proc/${pid}/status`);
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
}

/** A mapping of the address space: its size and what backs it ('' for anonymous memory). */
export interface Mapping {
  readonly size: number;
  readonly path: string;
}

/** The resident bytes of the mappings `wanted` picks. */
export function residentOf(wanted: (m: Mapping) => boolean): number {
  let total = 0;
  let take = false;
  for (const line of read('/proc/self/smaps').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      take = wanted({ size: parseInt(head[2], 16) - parseInt(head[1], 16), path: head[3] });
    } else if (take && line.startsWith('Rss:')) {
      total += Number(line.split(/\s+/)[1]) * 1024;
    }
  }
  return total;
}
