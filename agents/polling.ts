/**
 * Polling configuration in Ceilometer's `polling.yaml` format: sources, each
 * a name, an interval in seconds and meter patterns (fnmatch wildcards;
 * `!pattern` excludes; a list of exclusions alone allows the rest), checked
 * as Ceilometer's polling manager checks them.
 *
 *   sources:
 *     - name: instances
 *       interval: 300
 *       meters: ["cpu", "memory.usage", "disk.device.*", "network.*"]
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { fnmatch } from '../tsdb/index/archive-policies.js';

export interface PollingSource {
  readonly name: string;
  /** seconds */
  readonly interval: number;
  readonly meters: readonly string[];
}

export class PollingConfigError extends Error {}

/** Ceilometer's Source.is_supported: exclusions first, then inclusions; exclusions alone allow everything else. */
export function meterSupported(patterns: readonly string[], meter: string): boolean {
  if (patterns.some((p) => p.startsWith('!') && fnmatch(meter, p.slice(1)))) return false;
  if (patterns.some((p) => !p.startsWith('!') && fnmatch(meter, p))) return true;
  return patterns.every((p) => p.startsWith('!'));
}

/** The sources of a polling.yaml document; throws PollingConfigError naming the source and the field at fault. */
export function parsePolling(text: string, origin = 'polling.yaml'): PollingSource[] {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new PollingConfigError(`${origin}: not YAML: ${(err as Error).message}`);
  }
  const sources = (doc as { sources?: unknown } | null)?.sources;
  if (!Array.isArray(sources) || sources.length === 0) throw new PollingConfigError(`${origin}: \`sources\` must be a non-empty list`);
  const names = new Set<string>();
  return sources.map((s: unknown, i: number) => {
    const at = `${origin}: sources[${i}]`;
    if (s === null || typeof s !== 'object') throw new PollingConfigError(`${at}: must be a mapping`);
    const { name, interval, meters } = s as Record<string, unknown>;
    if (typeof name !== 'string' || name === '') throw new PollingConfigError(`${at}.name: a non-empty string is required`);
    if (names.has(name)) throw new PollingConfigError(`${at}.name: "${name}" is used by another source`);
    names.add(name);
    const seconds = typeof interval === 'number' ? interval : typeof interval === 'string' && /^\s*\d+\s*$/.test(interval) ? Number(interval) : NaN;
    if (!Number.isInteger(seconds)) throw new PollingConfigError(`${at}.interval: an integer number of seconds is required (got ${JSON.stringify(interval)})`);
    if (seconds <= 0) throw new PollingConfigError(`${at}.interval: must be > 0`);
    if (!Array.isArray(meters) || meters.length === 0 || meters.some((m) => typeof m !== 'string' || m === '')) {
      throw new PollingConfigError(`${at}.meters: a non-empty list of meter names or patterns is required`);
    }
    const list = meters as string[];
    if (list.some((m) => !'!*'.includes(m[0])) && list.some((m) => m[0] === '!')) throw new PollingConfigError(`${at}.meters: both included and excluded meters specified`);
    if (list.includes('*') && list.some((m) => !'!*'.includes(m[0]))) throw new PollingConfigError(`${at}.meters: included meters specified with wildcard`);
    return { name, interval: seconds, meters: list };
  });
}

export function readPolling(path: string): PollingSource[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PollingConfigError(`--polling ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  return parsePolling(text, path);
}

/** Without a polling.yaml: every meter every 300 s (Ceilometer's default interval). */
export const DEFAULT_POLLING: readonly PollingSource[] = [{ name: 'all_pollsters', interval: 300, meters: ['*'] }];
