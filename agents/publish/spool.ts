/**
 * The agent's durable, bounded spool: the notifications it could not hand
 * to the broker, kept on disk in order until they can be (format in
 * README.md beside this file). Appends are fsynced before they return; the
 * oldest segments go first when the spool is full, and what they held is
 * counted.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, statSync, truncateSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface SpoolOptions {
  /** most bytes kept (default 256 MiB) */
  readonly maxBytes?: number;
  /** a segment file is closed past this size (default 4 MiB) */
  readonly segmentBytes?: number;
  readonly log?: (line: string) => void;
}

/** Some of the oldest entries, and how to mark them sent. */
export interface SpoolBatch {
  readonly entries: readonly string[];
  /** Marks them sent (durably); their segments go once all of theirs are. */
  commit(): void;
}

const SEGMENT = /^seg-(\d{16})\.jsonl$/;
const name = (seq: number): string => `seg-${String(seq).padStart(16, '0')}.jsonl`;

export class Spool {
  /** segment sequence numbers, oldest first */
  private readonly segments: number[] = [];
  private readonly sizes = new Map<number, number>();
  /** the first unsent entry: its segment and byte offset */
  private cursor: { seq: number; offset: number };
  private bytes = 0;
  /** what was dropped because the spool was full */
  readonly dropped = { entries: 0, samples: 0 };

  private constructor(
    private readonly dir: string,
    private readonly o: SpoolOptions,
  ) {
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(dir)) {
      const m = SEGMENT.exec(f);
      if (!m) continue;
      const seq = Number(m[1]);
      this.segments.push(seq);
      const size = statSync(join(dir, f)).size;
      this.sizes.set(seq, size);
      this.bytes += size;
    }
    this.segments.sort((a, b) => a - b);
    this.dropTornTail();
    this.cursor = this.readCursor();
    // a segment before the cursor was sent entirely; the process stopped before deleting it
    while (this.segments.length > 0 && this.segments[0] < this.cursor.seq) this.remove(this.segments[0]);
  }

  static open(dir: string, options: SpoolOptions = {}): Spool {
    return new Spool(dir, options);
  }

  /** Whether anything waits to be sent. */
  get empty(): boolean {
    if (this.segments.length === 0) return true;
    return this.segments.length === 1 && this.cursor.seq === this.segments[0] && this.cursor.offset >= (this.sizes.get(this.segments[0]) ?? 0);
  }

  get size(): number {
    return this.bytes;
  }

  /** Appends entries (one line each, no newline inside), durably. */
  append(entries: readonly string[]): void {
    if (entries.length === 0) return;
    const text = `${entries.join('\n')}\n`;
    const length = Buffer.byteLength(text);
    let seq = this.segments[this.segments.length - 1];
    if (seq === undefined || (this.sizes.get(seq) ?? 0) >= (this.o.segmentBytes ?? 4 * 2 ** 20)) {
      seq = (seq ?? this.cursor.seq - 1) + 1;
      this.segments.push(seq);
      this.sizes.set(seq, 0);
      if (this.segments.length === 1) this.writeCursor({ seq, offset: 0 });
    }
    const fd = openSync(join(this.dir, name(seq)), 'a');
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.sizes.set(seq, (this.sizes.get(seq) ?? 0) + length);
    this.bytes += length;
    this.bound();
  }

  /** Up to `max` of the oldest unsent entries (null when there are none). */
  take(max: number): SpoolBatch | null {
    if (this.empty) return null;
    const seq = this.cursor.seq;
    // bytes: a cursor is a byte offset, and UTF-8 never has a newline byte inside a character
    const data = readFileSync(join(this.dir, name(seq)));
    const entries: string[] = [];
    let offset = this.cursor.offset;
    while (entries.length < max && offset < data.length) {
      const nl = data.indexOf(0x0a, offset);
      // a line cut short by a crash while appending: not an entry, and the end of the segment
      if (nl < 0) {
        offset = data.length;
        break;
      }
      entries.push(data.toString('utf8', offset, nl));
      offset = nl + 1;
    }
    return {
      entries,
      commit: () => {
        const next = this.segments[this.segments.indexOf(seq) + 1];
        if (offset >= data.length && next !== undefined) {
          this.writeCursor({ seq: next, offset: 0 });
          this.remove(seq);
        } else this.writeCursor({ seq, offset });
      },
    };
  }

  /** Drops the oldest segments until the spool is within its bound, counting what they held. */
  private bound(): void {
    const max = this.o.maxBytes ?? 256 * 2 ** 20;
    while (this.bytes > max && this.segments.length > 1) {
      const seq = this.segments[0];
      let entries = 0;
      let samples = 0;
      const data = readFileSync(join(this.dir, name(seq)));
      for (const line of data.toString('utf8', seq === this.cursor.seq ? this.cursor.offset : 0).split('\n')) {
        if (!line) continue;
        entries++;
        samples += samplesIn(line);
      }
      this.writeCursor({ seq: this.segments[1], offset: 0 });
      this.remove(seq);
      this.dropped.entries += entries;
      this.dropped.samples += samples;
      this.o.log?.(`agent: the spool is full (${max} bytes): dropped its oldest ${entries} notifications (${samples} samples); ${this.dropped.samples} samples dropped in all`);
    }
  }

  /** A crash while appending leaves a last line without its newline: cut it, or the next append would join it. */
  private dropTornTail(): void {
    const seq = this.segments[this.segments.length - 1];
    if (seq === undefined) return;
    const path = join(this.dir, name(seq));
    const data = readFileSync(path);
    if (data.length === 0 || data[data.length - 1] === 0x0a) return;
    const keep = data.lastIndexOf(0x0a) + 1;
    truncateSync(path, keep);
    this.bytes -= data.length - keep;
    this.sizes.set(seq, keep);
    this.o.log?.(`agent: the spool's last entry was cut short (${data.length - keep} bytes), dropped`);
  }

  private remove(seq: number): void {
    try {
      unlinkSync(join(this.dir, name(seq)));
    } catch {
      // already gone
    }
    this.bytes -= this.sizes.get(seq) ?? 0;
    this.sizes.delete(seq);
    this.segments.splice(this.segments.indexOf(seq), 1);
  }

  private readCursor(): { seq: number; offset: number } {
    try {
      const [seq, offset] = readFileSync(join(this.dir, 'cursor'), 'utf8').trim().split(' ').map(Number);
      if (Number.isInteger(seq) && Number.isInteger(offset)) return { seq, offset };
    } catch {
      // a new spool
    }
    return { seq: this.segments[0] ?? 0, offset: 0 };
  }

  private writeCursor(c: { seq: number; offset: number }): void {
    this.cursor = c;
    const tmp = join(this.dir, 'cursor.tmp');
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, `${c.seq} ${c.offset}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(this.dir, 'cursor'));
  }
}

/** How many samples a spooled notification carries. */
export function samplesIn(line: string): number {
  try {
    const samples = (JSON.parse(line) as { payload?: { samples?: unknown } }).payload?.samples;
    return Array.isArray(samples) ? samples.length : 0;
  } catch {
    return 0;
  }
}
