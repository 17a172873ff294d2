/**
 * The LMDB environment of the embedded engine and its ten databases
 * (layout in FORMAT.md). Keys use lmdb's ordered-binary encoding so a metric's
 * entries are contiguous and splits sort by time.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Database, type RootDatabase, open } from 'lmdb';
import type { ArchivePolicy } from './archive-policy.js';
import type { MirrorKey } from './mirror-log.js';

/** `writer` is random per open engine, so engines sharing a store never write the same key */
export type IncomingKey = [metricId: string, seq: number, writer: number];
export type SplitDbKey = [metricId: string, granularity: number, splitKey: number];
/** an incoming block's key: the writing engine's sequence and its writer number */
export type BlockKey = [seq: number, writer: number];

/** The block sweep in progress: the blocks it folds, and the last metric (in id order) already folded. */
export interface BlockSweepRecord {
  readonly blocks: BlockKey[];
  readonly after: string;
}

/** What the engine keeps about a metric: the policy its series follow. */
export interface MetricRecord {
  /** unique per creation, so engines sharing the store notice a re-created metric */
  readonly generation: number;
  readonly policy: ArchivePolicy;
}

export interface LmdbStore {
  readonly root: RootDatabase;
  readonly metrics: Database<MetricRecord, string>;
  readonly incoming: Database<Buffer, IncomingKey>;
  readonly raw: Database<Buffer, string>;
  readonly splits: Database<Buffer, SplitDbKey>;
  /** idempotency keys of recent writes, one entry per write (write-keys.ts) */
  readonly writeKeys: Database<Buffer, number>;
  /** writes that touch many metrics, one value each (incoming.ts) */
  readonly blocks: Database<Buffer, BlockKey>;
  /** key 0: the block sweep in progress, if any */
  readonly blockSweep: Database<BlockSweepRecord, number>;
  /** key 0: how many times a metric was deleted or given another policy, so engines know when what they remember of metrics may be stale */
  readonly metricChanges: Database<number, number>;
  /** accepted writes kept for the sinks (mirror-log.ts) */
  readonly mirror: Database<Buffer, MirrorKey>;
  /** the sinks' cursors in `mirror`, and its last sequence number */
  readonly mirrorCursors: Database<number, string>;
}

/** The file of the store in `dir`. */
export function storeFile(dir: string): string {
  return join(dir, 'tsdb.lmdb');
}

export function openLmdbStore(dir: string): LmdbStore {
  mkdirSync(dir, { recursive: true });
  const root = open({
    path: storeFile(dir),
    maxDbs: 12,
    // Grows on demand; this only bounds the address space reserved up front.
    mapSize: 2 ** 34,
    compression: false,
  });
  return {
    root,
    metrics: root.openDB<MetricRecord, string>({ name: 'metrics' }),
    incoming: root.openDB<Buffer, IncomingKey>({ name: 'incoming', encoding: 'binary' }),
    raw: root.openDB<Buffer, string>({ name: 'raw', encoding: 'binary' }),
    splits: root.openDB<Buffer, SplitDbKey>({ name: 'splits', encoding: 'binary' }),
    writeKeys: root.openDB<Buffer, number>({ name: 'write-keys', encoding: 'binary' }),
    blocks: root.openDB<Buffer, BlockKey>({ name: 'blocks', encoding: 'binary' }),
    blockSweep: root.openDB<BlockSweepRecord, number>({ name: 'block-sweep' }),
    metricChanges: root.openDB<number, number>({ name: 'metric-changes' }),
    mirror: root.openDB<Buffer, MirrorKey>({ name: 'mirror', encoding: 'binary' }),
    mirrorCursors: root.openDB<number, string>({ name: 'mirror-cursors' }),
  };
}
