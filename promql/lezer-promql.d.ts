/**
 * Types of @prometheus-io/lezer-promql: its package.json "exports" map has
 * no "types" entry, so NodeNext resolution cannot find its own index.d.ts.
 */
declare module '@prometheus-io/lezer-promql' {
  import type { LRParser } from '@lezer/lr';
  export const parser: LRParser;
}
