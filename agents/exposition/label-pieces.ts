/**
 * The `name="value"` pieces of one poll's series, each kept once. Most
 * labels belong to a resource (project, user, resource id, its names, its
 * flavor) and are shared by all of that resource's meters, and the rest by
 * all the series of a meter, so a series is a short run of piece numbers
 * instead of a string and a labels object of its own. Once the poll is
 * complete the pieces are one UTF-8 buffer, copied from at each scrape.
 */
import { type Labels, escapeLabelValue } from './prom-text.js';

export class LabelPieces {
  /** label name → value → piece; only while the poll's series are added */
  private byName: Map<string, Map<string, number>> | null = new Map();
  private readonly names: string[] = [];
  private readonly values: string[] = [];
  /** `name="escaped value"` of each piece, until sealed */
  private texts: string[] | null = [];
  /** piece p's UTF-8 text is bytes[starts[p]] … bytes[starts[p + 1] - 1] */
  private readonly starts: number[] = [0];
  private buffer: Buffer | null = null;

  /** The piece of label `name` with `value`, added when new. */
  id(name: string, value: string): number {
    if (this.byName === null || this.texts === null) throw new Error('LabelPieces: sealed');
    let byValue = this.byName.get(name);
    if (byValue === undefined) {
      byValue = new Map();
      this.byName.set(name, byValue);
    }
    let id = byValue.get(value);
    if (id === undefined) {
      id = this.names.length;
      const text = `${name}="${escapeLabelValue(value)}"`;
      this.names.push(name);
      this.values.push(value);
      this.texts.push(text);
      this.starts.push(this.starts[id] + Buffer.byteLength(text));
      byValue.set(value, id);
    }
    return id;
  }

  /** The poll is complete: the texts become one buffer and the lookup maps go. */
  seal(): void {
    if (this.texts === null) return;
    this.buffer = Buffer.from(this.texts.join(''), 'utf8');
    this.texts = null;
    this.byName = null;
  }

  /** The UTF-8 of all pieces (sealed pieces only). */
  get bytes(): Buffer {
    if (this.buffer === null) throw new Error('LabelPieces: not sealed');
    return this.buffer;
  }

  /** Where piece p's bytes start in `bytes`; they end where p + 1's start. */
  start(p: number): number {
    return this.starts[p];
  }

  /** The labels of a run of pieces, in their order (prom-client's get()). */
  labels(ids: Int32Array, from: number, to: number): Labels {
    const labels: Labels = {};
    for (let j = from; j < to; j++) labels[this.names[ids[j]]] = this.values[ids[j]];
    return labels;
  }
}
