/**
 * Bytes a file or a directory tree takes on disk (allocated blocks, so a
 * sparse or preallocated file counts for what it holds), read when scraped.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export async function diskUsage(path: string): Promise<number> {
  const s = await lstat(path);
  if (!s.isDirectory()) return s.blocks * 512;
  const entries = await readdir(path);
  // a file removed between the listing and its stat (PostgreSQL's temporary files) counts as nothing
  const sizes = await Promise.all(entries.map((name) => diskUsage(join(path, name)).catch(() => 0)));
  return sizes.reduce((a, b) => a + b, s.blocks * 512);
}
