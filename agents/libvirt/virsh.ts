/**
 * One `virsh` process per poll, driven as its interactive shell: a round of
 * commands is written to its stdin, each followed by an `echo` of a marker,
 * and its output is cut at the markers. A second round can depend on the
 * first (the test driver's bulk `domstats` leaves groups out, and the
 * per-domain commands that fill them in need the domains' names), so a
 * poll costs one process whatever the number of domains.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';

export class VirshError extends Error {}

const MARKER = 'tally-virsh-end-';

export class VirshSession {
  /** what virsh printed since the last round ended, in chunks: a string grown by += is re-flattened by every search */
  private chunks: string[] = [];
  private stderr = '';
  private exited: Error | null = null;
  /** the round waiting for its marker, searched as each chunk comes: no timer or promise per chunk (~10,000 chunks a poll at 1,000 domains) */
  private waiting: MarkerSearch | null = null;
  private rounds = 0;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly uri: string,
    private readonly timeoutMs: number,
  ) {
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      this.chunks.push(d);
      if (this.waiting) this.search(this.waiting);
    });
    child.stderr.on('data', (d: string) => void (this.stderr += d));
    child.on('error', (err) => this.end(new VirshError(`virsh -c ${uri}: ${err.message}`)));
    child.on('exit', (code, signal) => this.end(new VirshError(`virsh -c ${uri} exited (${signal ?? code})${this.stderrTail()}`)));
    // a write to a virsh that died is reported by its exit
    child.stdin.on('error', () => undefined);
  }

  static open(uri: string, options: { virsh?: string; timeoutMs?: number } = {}): VirshSession {
    const child = spawn(options.virsh ?? 'virsh', ['--quiet', '--connect', uri], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    return new VirshSession(child, uri, options.timeoutMs ?? 30_000);
  }

  /** Runs the commands in order; their outputs, one string each. Rejects when virsh dies or the round takes too long. */
  async run(commands: readonly string[]): Promise<string[]> {
    if (commands.length === 0) return [];
    const round = this.rounds++;
    const stderrBefore = this.stderr.length;
    // one marker for the whole round: its output line (after the echoed command) says the round is done
    const end = `\n${MARKER}${round}`;
    this.child.stdin.write(`${commands.join('\n')}\necho ${MARKER}${round}\n`);
    const cut = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        this.child.kill('SIGKILL');
        reject(new VirshError(`virsh -c ${this.uri}: no answer within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      const search: MarkerSearch = {
        end,
        searched: 0,
        before: 0,
        tail: '',
        found: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
        failed: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      this.waiting = search;
      // the output may be there already, or virsh gone
      this.search(search);
      if (this.waiting === search && this.exited) {
        this.waiting = null;
        search.failed(this.exited);
      }
    });
    const all = this.chunks.join('');
    // what follows the marker (the prompt of the next command) belongs to the next round
    const text = all.slice(0, cut);
    this.chunks = cut < all.length ? [all.slice(cut)] : [];
    const outputs = splitRound(text, commands.length);
    // a connection that failed or dropped is the poll's failure, not one command's
    const errors = this.stderr.slice(stderrBefore);
    if (/failed to connect to the hypervisor|no connection driver|not connected/i.test(errors)) throw new VirshError(`virsh -c ${this.uri}: ${firstErrorLine(errors)}`);
    return outputs;
  }

  /** The error lines virsh printed so far (commands that failed for one domain, e.g. it was destroyed meanwhile). */
  takeErrors(): string[] {
    const lines = this.stderr.split('\n').filter((l) => l.startsWith('error:'));
    this.stderr = '';
    return lines;
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end('quit\n');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await done;
    clearTimeout(timer);
  }

  private end(err: VirshError): void {
    if (this.exited) return;
    this.exited = err;
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.failed(err);
  }

  private stderrTail(): string {
    const line = firstErrorLine(this.stderr);
    return line ? `: ${line}` : '';
  }

  /** Looks for the round's marker in the chunks not searched yet; found() with the offset just after it. */
  private search(w: MarkerSearch): void {
    const end = w.end;
    while (w.searched < this.chunks.length) {
      const chunk = this.chunks[w.searched++];
      // a marker across the previous chunk's end and this one's start: only that seam is copied, never a chunk
      const seam = w.tail + chunk.slice(0, end.length - 1);
      const across = seam.indexOf(end);
      const within = across >= 0 ? -1 : chunk.indexOf(end);
      const cut = across >= 0 ? w.before - w.tail.length + across + end.length : within >= 0 ? w.before + within + end.length : -1;
      if (cut >= 0) {
        this.waiting = null;
        w.found(cut);
        return;
      }
      w.tail = (chunk.length >= end.length - 1 ? chunk : seam).slice(1 - end.length);
      w.before += chunk.length;
    }
  }
}

/** A round's search for its end marker in virsh's output. */
interface MarkerSearch {
  readonly end: string;
  /** chunks searched, and their length */
  searched: number;
  before: number;
  /** the last characters of the chunks searched, one fewer than the marker's (a marker may straddle two chunks) */
  tail: string;
  readonly found: (cut: number) => void;
  readonly failed: (err: Error) => void;
}

function firstErrorLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.startsWith('error:') && !/^error: (failed to connect|Failed to reconnect)/.test(l)) ??
    text.split('\n').find((l) => l.trim() !== '')?.trim() ??
    ''
  );
}

/**
 * The outputs of a round. Fed through a pipe, virsh's shell still prints its
 * prompt and the command it read before each command's output
 * (`virsh # domstats --raw\n…`): those cut the round into outputs, in the
 * order the commands were written; the last piece is the marker's echo.
 */
function splitRound(text: string, count: number): string[] {
  const pieces = text.split('virsh # ');
  // pieces[0] is what came before the first prompt (nothing, or a banner)
  const out: string[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const piece = pieces[i + 1] ?? '';
    const nl = piece.indexOf('\n');
    out[i] = nl < 0 ? '' : piece.slice(nl + 1);
  }
  return out;
}
