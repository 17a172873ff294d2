import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../tsdb/engine.js';

export interface TsdbStatus {
  path: string;
  metrics: number;
  pending_entries: number;
  bytes_on_disk: number;
}

/** Opens the store read-mostly and reports its size; fails clearly when there is none. */
export async function tsdbStatus(path: string): Promise<TsdbStatus> {
  const file = join(path, 'tsdb.lmdb');
  if (!existsSync(file)) throw new Error(`no time-series store at ${path} (expected ${file})`);
  const engine = Engine.open({ path });
  try {
    return { path, metrics: engine.metricCount(), pending_entries: engine.pendingEntries(), bytes_on_disk: statSync(file).size };
  } finally {
    await engine.close();
  }
}
