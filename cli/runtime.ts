/**
 * V8 settings for a light process, applied when a tally process starts,
 * before the embedded database is compiled or a worker thread exists (and by
 * the benchmarks that stand for a tally process):
 *
 * - `--wasm-tiering-budget`: PGlite's WebAssembly runs on V8's baseline code
 *   and only functions that run a lot are optimised. With V8's budget
 *   (1.8 MB of execution per function) PostgreSQL's start alone optimises a
 *   large part of it, ~60 MB of code that is seldom used afterwards; at 100×,
 *   what stays hot is still optimised (4 % fewer notifications/s in
 *   bench:collector, 130–160 MB less at its peak).
 * - `--heap-growing-percent=50`: after a full collection, the JavaScript heap
 *   may grow by half of what survived it before the next one (V8 allows up to
 *   four times when collections are cheap, which a server's steady allocation
 *   makes them). More frequent collections cost allocation-heavy work: in
 *   bench:ingest an aggregate across 1,000 metrics takes ~20 % longer and
 *   ingest is ~10 % slower; bench:api shows nothing beyond its spread; with
 *   100,000 metrics under load the process is ~100 MB smaller.
 *
 * TALLY_V8_FLAGS replaces these (empty: V8's own defaults).
 */
import { setFlagsFromString } from 'node:v8';

export const LEAN_V8_FLAGS = '--wasm-tiering-budget=180000000 --heap-growing-percent=50';

/** Applies the flags (TALLY_V8_FLAGS, else LEAN_V8_FLAGS) and returns them. */
export function tuneRuntime(env: NodeJS.ProcessEnv = process.env): string {
  const flags = env.TALLY_V8_FLAGS ?? LEAN_V8_FLAGS;
  if (flags.trim()) setFlagsFromString(flags);
  return flags;
}
