/**
 * Idempotency keys for writes: a writer that may repeat a write (a message
 * redelivered after a crash between the durable write and its
 * acknowledgement) passes keys with it; keys are stored in the same LMDB
 * transaction as the measures, and a later write can ask which of its keys
 * were already written. Only a recent window is kept: repeats come from the
 * few writes that were in flight when a crash happened.
 */
import type { Database } from 'lmdb';

export class WriteKeys {
  /** the keys of the window, in memory: checked before every write */
  private readonly known = new Set<string>();
  /** batch sequence → its keys, oldest first (mirrors the database) */
  private readonly batches: { seq: number; keys: string[] }[] = [];
  private count = 0;
  private nextSeq = 0;

  constructor(
    private readonly db: Database<Buffer, number>,
    /** how many keys the window holds */
    private readonly capacity: number,
  ) {
    for (const { key, value } of db.getRange()) {
      const keys = value.length === 0 ? [] : value.toString('utf8').split('\n');
      this.batches.push({ seq: key, keys });
      for (const k of keys) this.known.add(k);
      this.count += keys.length;
      this.nextSeq = key + 1;
    }
  }

  /** keys in the window */
  get size(): number {
    return this.count;
  }

  /** Which of these keys were written. */
  written(keys: Iterable<string>): Set<string> {
    const out = new Set<string>();
    for (const k of keys) if (this.known.has(k)) out.add(k);
    return out;
  }

  /**
   * Queues the puts that record `keys` and drop batches past the window;
   * called in the same event-loop turn as the measures' puts, so that
   * lmdb-js commits them in one transaction.
   */
  record(keys: readonly string[]): Promise<unknown>[] {
    const writes: Promise<unknown>[] = [];
    this.note(keys, (seq, value) => writes.push(this.db.put(seq, value)), (seq) => writes.push(this.db.remove(seq)));
    return writes;
  }

  /** The same, inside a write transaction the caller holds. */
  recordSync(keys: readonly string[]): void {
    this.note(keys, (seq, value) => this.db.putSync(seq, value), (seq) => this.db.removeSync(seq));
  }

  private note(keys: readonly string[], put: (seq: number, value: Buffer) => void, remove: (seq: number) => void): void {
    if (keys.length === 0) return;
    const seq = this.nextSeq++;
    put(seq, Buffer.from(keys.join('\n'), 'utf8'));
    this.batches.push({ seq, keys: [...keys] });
    for (const k of keys) this.known.add(k);
    this.count += keys.length;
    while (this.count - this.batches[0].keys.length >= this.capacity) {
      const old = this.batches.shift()!;
      remove(old.seq);
      for (const k of old.keys) this.known.delete(k);
      this.count -= old.keys.length;
    }
  }
}
