/**
 * File-based target discovery (`file_sd_configs`), as Prometheus does it:
 * files named by path or by a glob in the last path element, each a JSON or
 * YAML list of target groups (`targets` + `labels`), re-read when their
 * folder changes (inotify through fs.watch) and every `refresh_interval`.
 * Targets get `__meta_filepath`. A file that cannot be parsed keeps the
 * groups it last gave, and the error is reported once until it changes; a
 * file that does not exist (yet, or any more) gives no targets.
 */
import { type FSWatcher, existsSync, readFileSync, readdirSync, watch } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import picomatch from 'picomatch';
import { parse } from 'yaml';
import { ScrapeConfigError } from './config-error.js';
import { type FileSdConfig, type TargetGroup, parseTargetGroup } from './scrape-config.js';

export interface DiscoveredGroup {
  readonly group: TargetGroup;
  /** `__meta_filepath` */
  readonly discoveryLabels: Readonly<Record<string, string>>;
}

const GLOB_CHARS = /[*?[]/;

/** The files a pattern names now (as Go's filepath.Glob: a plain path only if it exists). */
export function filesOf(pattern: string): string[] {
  const name = basename(pattern);
  if (!GLOB_CHARS.test(name)) return existsSync(pattern) ? [pattern] : [];
  const dir = dirname(pattern);
  const isMatch = picomatch(name, { dot: true });
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.filter((e) => isMatch(e)).sort().map((e) => join(dir, e));
}

/** The target groups of one file; throws with the file and the entry on bad content. */
export function readTargetFile(file: string): TargetGroup[] {
  const text = readFileSync(file, 'utf8');
  const ext = extname(file).toLowerCase();
  let doc: unknown;
  try {
    doc = ext === '.json' ? JSON.parse(text) : parse(text);
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return [];
  if (!Array.isArray(doc)) throw new Error(`${file}: expected a list of target groups`);
  try {
    return doc.map((g: unknown, i) => parseTargetGroup(g, `[${i}]`, file));
  } catch (err) {
    if (err instanceof ScrapeConfigError) throw new Error(`${file}: ${err.message}`);
    throw err;
  }
}

export class FileDiscovery {
  private readonly config: FileSdConfig;
  private readonly onChange: (groups: DiscoveredGroup[]) => void;
  private readonly onError: (message: string) => void;
  /** last good groups per file */
  private readonly byFile = new Map<string, TargetGroup[]>();
  private readonly errors = new Map<string, string>();
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private last = '';
  private stopped = false;

  constructor(config: FileSdConfig, onChange: (groups: DiscoveredGroup[]) => void, onError: (message: string) => void) {
    this.config = config;
    this.onChange = onChange;
    this.onError = onError;
  }

  /** Reads the files once (calling onChange) and starts watching them. */
  start(): void {
    this.refresh();
    for (const dir of new Set(this.config.files.map((f) => dirname(f)))) {
      try {
        const w = watch(dir, { persistent: false }, () => this.soon());
        w.on('error', () => undefined); // the folder went away: the periodic refresh still runs
        this.watchers.push(w);
      } catch {
        // a folder that does not exist yet: the periodic refresh will see the files once it does
      }
    }
    this.timer = setInterval(() => this.refresh(), this.config.refreshIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.debounce);
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }

  /** Several events come per save (truncate, write, rename): read once they settle. */
  private soon(): void {
    if (this.stopped) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.refresh(), 50);
    this.debounce.unref();
  }

  refresh(): void {
    if (this.stopped) return;
    const files = new Set(this.config.files.flatMap(filesOf));
    for (const f of this.byFile.keys()) if (!files.has(f)) this.byFile.delete(f);
    for (const f of this.errors.keys()) if (!files.has(f)) this.errors.delete(f);
    for (const file of files) {
      try {
        this.byFile.set(file, readTargetFile(file));
        this.errors.delete(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          // removed between the listing and the read
          this.byFile.delete(file);
          continue;
        }
        const message = (err as Error).message;
        if (this.errors.get(file) !== message) this.onError(`file_sd: ${message}`);
        this.errors.set(file, message);
      }
    }
    const groups: DiscoveredGroup[] = [];
    for (const [file, gs] of [...this.byFile].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      for (const group of gs) groups.push({ group, discoveryLabels: { __meta_filepath: file } });
    }
    const snapshot = JSON.stringify(groups);
    if (snapshot === this.last) return;
    this.last = snapshot;
    this.onChange(groups);
  }
}
