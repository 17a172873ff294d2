/**
 * Splits a byte stream into the JSON texts it concatenates. OVSDB's JSON-RPC
 * (RFC 7047) writes one message after another with no delimiter, so a
 * message ends where its outermost brace closes; braces inside strings do not
 * count.
 *
 * The scan works on bytes: in UTF-8 every byte of a multi-byte character is
 * ≥ 0x80, so none can be mistaken for a brace, a quote or a backslash, and a
 * character split across two chunks is decoded only once its message is whole.
 * State carries over between chunks, so each byte is scanned once.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;

/** 64 MiB: far above any OVSDB reply a compute node produces, low enough to stop a runaway peer. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export class JsonStreamError extends Error {}

export class JsonStreamSplitter {
  /** the bytes of the unfinished message, from its first brace, kept as received (joined once it completes) */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;

  constructor(private readonly maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES) {}

  /** Takes the next bytes; returns the texts of the messages they complete, in order. */
  push(chunk: Buffer): string[] {
    const texts: string[] = [];
    // where the current message starts in this chunk (0 when it began in an earlier one)
    let start = 0;
    let depth = this.depth;
    let inString = this.inString;
    let escaped = this.escaped;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (c === BACKSLASH) escaped = true;
        else if (c === QUOTE) inString = false;
        continue;
      }
      if (depth === 0) {
        if (c === SPACE || c === LF || c === CR || c === TAB) {
          start = i + 1;
          continue;
        }
        if (c !== OPEN_BRACE && c !== OPEN_BRACKET) {
          this.reset();
          throw new JsonStreamError(`unexpected byte 0x${c.toString(16).padStart(2, '0')} between JSON-RPC messages`);
        }
      }
      if (c === QUOTE) inString = true;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) {
          texts.push(this.take(chunk, start, i + 1));
          start = i + 1;
        }
      }
    }
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    if (depth > 0 && start < chunk.length) {
      this.pending.push(chunk.subarray(start));
      this.pendingBytes += chunk.length - start;
      if (this.pendingBytes > this.maxMessageBytes) {
        this.reset();
        throw new JsonStreamError(`a JSON-RPC message exceeds ${this.maxMessageBytes} bytes`);
      }
    }
    return texts;
  }

  /** true between messages: nothing received is left unparsed */
  get idle(): boolean {
    return this.depth === 0;
  }

  reset(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
  }

  private take(chunk: Buffer, start: number, end: number): string {
    if (this.pending.length === 0) return chunk.toString('utf8', start, end);
    this.pending.push(chunk.subarray(start, end));
    const text = Buffer.concat(this.pending, this.pendingBytes + end - start).toString('utf8');
    this.pending = [];
    this.pendingBytes = 0;
    return text;
  }
}
