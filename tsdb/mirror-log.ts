/**
 * The mirror log: every write the store accepts, kept for the sinks that copy
 * measures elsewhere (exporters/sinks), until each has delivered it.
 *
 * An entry is the write's incoming block (FORMAT.md), put in the same LMDB
 * transaction as the write itself, under a sequence number drawn inside that
 * transaction: numbers follow commit order across every engine on the store,
 * so a sink's cursor (the last number it delivered) never passes an entry
 * committed later. Entries every sink has passed are deleted. Nothing is kept
 * while no sink is registered.
 */
import type { Database, RootDatabase } from 'lmdb';
import { type IncomingBlock, decodeIncomingBlock } from './incoming.js';

/** An entry's key: its sequence number and when it was written (ms since the Epoch, for the backlog's age). */
export type MirrorKey = [seq: number, writtenAtMs: number];

/** key LAST_SEQ: the last sequence number drawn; any other key: a sink's name, valued the last number it delivered */
const LAST_SEQ = '';

export interface MirrorEntry {
  readonly seq: number;
  readonly writtenAtMs: number;
  readonly block: IncomingBlock;
}

/** What waits for one sink. */
export interface MirrorBacklog {
  readonly entries: number;
  readonly measures: number;
  /** ms since the Epoch of the oldest write waiting; null when none waits */
  readonly oldestMs: number | null;
}

export class MirrorLog {
  private readonly droppedBy = new Map<string, number>();

  constructor(
    private readonly root: RootDatabase,
    private readonly entries: Database<Buffer, MirrorKey>,
    private readonly cursors: Database<number, string>,
  ) {}

  /** Whether any sink is registered (then every write is logged). */
  get active(): boolean {
    return this.cursors.get(LAST_SEQ) !== undefined;
  }

  /**
   * Logs one accepted write, inside the write transaction that stores it
   * (lmdb-js's `transaction` callback: its single puts may commit apart).
   */
  appendSync(block: Buffer): void {
    const last = this.cursors.get(LAST_SEQ);
    if (last === undefined) return; // the last sink went away meanwhile
    this.cursors.putSync(LAST_SEQ, last + 1);
    this.entries.putSync([last + 1, Date.now()], block);
  }

  /** The sinks registered, with the last sequence number each delivered. */
  sinks(): Map<string, number> {
    const out = new Map<string, number>();
    for (const { key, value } of this.cursors.getRange()) if (key !== LAST_SEQ) out.set(key, value);
    return out;
  }

  /**
   * Makes `names` the registered sinks: a new one starts at the end of the
   * log (it mirrors what is written from now on); one no longer named is
   * forgotten with what only it still waited for.
   */
  async register(names: readonly string[]): Promise<void> {
    await this.root.transaction(() => {
      let last = this.cursors.get(LAST_SEQ);
      for (const name of names) {
        if (name === LAST_SEQ) throw new Error('a sink needs a name');
        if (last === undefined) this.cursors.putSync(LAST_SEQ, (last = 0));
        if (this.cursors.get(name) === undefined) this.cursors.putSync(name, last);
      }
      for (const name of this.sinks().keys()) if (!names.includes(name)) this.cursors.removeSync(name);
      if (names.length === 0) this.cursors.removeSync(LAST_SEQ);
      this.trimSync();
    });
    await this.root.flushed;
  }

  /** Entries after `after`, oldest first, until about `maxMeasures` measures (at least one entry when any waits). */
  read(after: number, maxMeasures: number): MirrorEntry[] {
    const out: MirrorEntry[] = [];
    let measures = 0;
    for (const { key, value } of this.entries.getRange({ start: [after + 1] })) {
      const block = decodeIncomingBlock(value);
      out.push({ seq: key[0], writtenAtMs: key[1], block });
      measures += block.ts.length;
      if (measures >= maxMeasures) break;
    }
    return out;
  }

  /** Records that `sink` delivered every entry up to `seq`, durably, and deletes what no sink waits for any more. */
  async delivered(sink: string, seq: number): Promise<void> {
    await this.root.transaction(() => {
      const at = this.cursors.get(sink);
      if (at === undefined || at >= seq) return;
      this.cursors.putSync(sink, seq);
      this.trimSync();
    });
    await this.root.flushed;
  }

  /** What waits for `sink` (reads the header of every entry waiting). */
  backlog(sink: string): MirrorBacklog {
    const after = this.cursors.get(sink);
    if (after === undefined) return { entries: 0, measures: 0, oldestMs: null };
    let entries = 0;
    let measures = 0;
    let oldestMs: number | null = null;
    // keys, and each value's header through LMDB's map: no value is copied
    for (const key of this.entries.getKeys({ start: [after + 1] })) {
      const value = this.entries.getBinaryFast(key);
      if (value === undefined) continue;
      entries++;
      measures += measureCount(value);
      oldestMs ??= key[1];
    }
    return { entries, measures, oldestMs };
  }

  /** Bytes the log takes in the store's file (its pages). */
  bytes(): number {
    const s = this.entries.getStats() as { pageSize: number; treeBranchPageCount: number; treeLeafPageCount: number; overflowPages: number };
    return s.pageSize * (s.treeBranchPageCount + s.treeLeafPageCount + s.overflowPages);
  }

  /** Measures given up by `bound` in this process, per sink, whichever sink's delivery loop ran it. */
  dropped(sink: string): number {
    return this.droppedBy.get(sink) ?? 0;
  }

  /**
   * Keeps the log under `maxBytes`: while it is larger, the oldest entry is
   * given up, as delivered, by every sink still waiting for it. Returns the
   * measures given up per sink by this call (`dropped` keeps the totals).
   */
  async bound(maxBytes: number): Promise<Map<string, number>> {
    const dropped = new Map<string, number>();
    while (this.bytes() > maxBytes) {
      let first: { key: MirrorKey; value: Buffer } | undefined;
      for (const entry of this.entries.getRange({ limit: 1 })) first = entry;
      if (first === undefined) break;
      const [seq] = first.key;
      const measures = measureCount(first.value);
      for (const [sink, at] of this.sinks()) if (at < seq) dropped.set(sink, (dropped.get(sink) ?? 0) + measures);
      await this.root.transaction(() => {
        for (const [sink, at] of this.sinks()) if (at < seq) this.cursors.putSync(sink, seq);
        this.trimSync();
      });
    }
    await this.root.flushed;
    for (const [sink, measures] of dropped) this.droppedBy.set(sink, this.dropped(sink) + measures);
    return dropped;
  }

  /** Deletes the entries every sink has delivered (inside a write transaction). */
  private trimSync(): void {
    const cursors = [...this.sinks().values()];
    const upTo = cursors.length === 0 ? Infinity : Math.min(...cursors);
    for (const key of this.entries.getKeys({ end: [upTo, Infinity] })) this.entries.removeSync(key);
  }
}

/** Measures in a logged block, from its header. */
function measureCount(block: Uint8Array): number {
  return new DataView(block.buffer, block.byteOffset, block.byteLength).getUint32(8, true);
}
