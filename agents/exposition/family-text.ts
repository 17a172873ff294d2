/**
 * The families in the text format, written at each scrape into buffers of
 * about 64 KiB: a 1,000-domain exposition is ~15 MB of text, several times
 * what its series take (series-block.ts), and written this way it is never
 * whole in memory (the agent hands each buffer to the response once the
 * socket has taken the previous ones). The bytes are prom-client's
 * Registry.metrics(): families apart by a blank line, a final newline.
 */
import { type FamilyView, mergedSeries } from './family.js';
import { formatValue } from './prom-text.js';

const CHUNK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;
const SPACE = 0x20;

/** The text in buffers of about 64 KiB, each new (a socket may still hold the last one). */
export function* familyText(families: readonly FamilyView[]): Generator<Buffer> {
  let out = Buffer.allocUnsafe(CHUNK_BYTES);
  let at = 0;
  let first = true;
  for (const family of families) {
    const header = Buffer.from(`${first ? '' : '\n\n'}${family.header}`, 'utf8');
    first = false;
    if (at + header.length > out.length) {
      yield out.subarray(0, at);
      out = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, header.length));
      at = 0;
    }
    at += header.copy(out, at);
    // metric names are ASCII (isMetricName), as are values
    const name = `\n${family.name}`;
    const blocks = family.blocks;
    // the usual case is one source: a plain loop over its block
    const series = blocks.length === 1 ? null : [...mergedSeries(blocks)];
    const count = series ? series.length : blocks[0].size;
    for (let n = 0; n < count; n++) {
      const block = series ? series[n][0] : blocks[0];
      const i = series ? series[n][1] : n;
      const value = formatValue(block.values[i]);
      const length = name.length + block.labelBytes(i) + 1 + value.length;
      if (at + length > out.length) {
        yield out.subarray(0, at);
        out = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, length));
        at = 0;
      }
      for (let k = 0; k < name.length; k++) out[at++] = name.charCodeAt(k);
      at = block.writeLabels(out, at, i);
      out[at++] = SPACE;
      for (let k = 0; k < value.length; k++) out[at++] = value.charCodeAt(k);
    }
  }
  if (at === out.length) {
    yield out;
    out = Buffer.allocUnsafe(1);
    at = 0;
  }
  out[at++] = NEWLINE;
  yield out.subarray(0, at);
}
