/**
 * A small OVSDB client: RFC 7047 JSON-RPC over a unix socket or TCP.
 *
 * One connection, opened on first use and reopened after a failure; requests
 * may overlap and are matched to answers by id. The server's `echo` requests
 * are answered, since ovsdb-server drops a TCP client that stays silent
 * through its inactivity probe. Every error names the target.
 */
import { type NetConnectOpts, type Socket, createConnection } from 'node:net';
import { JsonStreamSplitter } from './json-stream.js';
import { type Json, type OvsdbOperation, type OvsdbOperationResult, isObject } from './ovsdb-types.js';
import { parseTarget } from './target.js';

export const DEFAULT_TIMEOUT_MS = 5000;

export class OvsdbError extends Error {
  constructor(
    readonly target: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`OVSDB at ${target}: ${message}`, options);
    this.name = 'OvsdbError';
  }
}

export interface OvsdbClientOptions {
  /** how long a connection attempt, and then an answer, may take (default 5 s) */
  readonly timeoutMs?: number;
}

interface Pending {
  readonly method: string;
  readonly resolve: (result: Json) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class OvsdbClient {
  readonly timeoutMs: number;
  private readonly connectOptions: NetConnectOpts;
  private socket: Socket | null = null;
  private connecting: Promise<Socket> | null = null;
  private readonly splitter = new JsonStreamSplitter();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  private requestsSent = 0;
  private connectionsMade = 0;

  constructor(
    readonly target: string,
    options: OvsdbClientOptions = {},
  ) {
    this.connectOptions = parseTarget(target);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** requests sent so far (answers to the server's echoes not counted) */
  get requests(): number {
    return this.requestsSent;
  }

  /** connections opened so far */
  get connections(): number {
    return this.connectionsMade;
  }

  /**
   * One atomic transaction (RFC 7047 §4.1.3): the operations' results, in
   * order. Rejects when the request fails or when any operation reports an
   * error.
   */
  async transact(db: string, ...operations: OvsdbOperation[]): Promise<OvsdbOperationResult[]> {
    const result = await this.request('transact', [db, ...operations]);
    if (!Array.isArray(result)) throw new OvsdbError(this.target, `transact answered ${JSON.stringify(result)}, not an array`);
    for (let i = 0; i < result.length; i++) {
      const r: unknown = result[i];
      if (isObject(r) && r.error !== undefined && r.error !== null) {
        // a result beyond the last operation is the commit's own error (RFC 7047 §4.1.3)
        const what = i < operations.length ? `operation ${i} (${operations[i].op} on ${String(operations[i].table)})` : 'commit';
        throw new OvsdbError(this.target, `transact ${what} failed: ${describeError(r)}`);
      }
    }
    if (result.length < operations.length || !result.every(isObject)) {
      throw new OvsdbError(this.target, `transact answered ${result.length} results for ${operations.length} operations`);
    }
    return result as OvsdbOperationResult[];
  }

  /** One JSON-RPC request; resolves with its `result`. */
  async request(method: string, params: readonly Json[]): Promise<Json> {
    if (this.closed) throw new OvsdbError(this.target, 'client closed');
    const socket = await this.connect();
    const id = this.nextId++;
    return new Promise<Json>((resolve, reject) => {
      const timer = setTimeout(() => {
        const err = new OvsdbError(this.target, `no answer to ${method} within ${this.timeoutMs} ms`);
        this.pending.delete(id);
        reject(err);
        // the connection's state is unknown now: drop it and start afresh next time
        this.drop(socket, err);
      }, this.timeoutMs);
      this.pending.set(id, { method, resolve, reject, timer });
      this.requestsSent++;
      socket.ref();
      socket.write(JSON.stringify({ method, params, id }));
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const socket = this.socket ?? (await this.connecting?.catch(() => null)) ?? null;
    if (socket !== null) this.drop(socket, new OvsdbError(this.target, 'client closed'));
  }

  private connect(): Promise<Socket> {
    if (this.socket !== null) return Promise.resolve(this.socket);
    this.connecting ??= new Promise<Socket>((resolve, reject) => {
      const socket = createConnection(this.connectOptions);
      const fail = (err: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      const onError = (err: Error): void => fail(new OvsdbError(this.target, `unreachable: ${err.message}`, { cause: err }));
      const timer = setTimeout(() => fail(new OvsdbError(this.target, `no connection within ${this.timeoutMs} ms`)), this.timeoutMs);
      socket.once('error', onError);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        if (this.closed) return fail(new OvsdbError(this.target, 'client closed'));
        this.attach(socket);
        resolve(socket);
      });
    }).finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private attach(socket: Socket): void {
    this.socket = socket;
    this.connectionsMade++;
    this.splitter.reset();
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(socket, chunk));
    socket.on('error', (err) => this.drop(socket, new OvsdbError(this.target, `connection failed: ${err.message}`, { cause: err })));
    socket.on('close', () => this.drop(socket, new OvsdbError(this.target, 'connection closed by the server')));
    // an idle connection must not keep the process alive; a request in flight does
    socket.unref();
  }

  private receive(socket: Socket, chunk: Buffer): void {
    let texts: string[];
    try {
      texts = this.splitter.push(chunk);
    } catch (err) {
      return this.drop(socket, new OvsdbError(this.target, `protocol error: ${(err as Error).message}`));
    }
    for (const text of texts) {
      let message: unknown;
      try {
        message = JSON.parse(text);
      } catch (err) {
        return this.drop(socket, new OvsdbError(this.target, `protocol error: ${(err as Error).message}`));
      }
      if (isObject(message)) this.dispatch(socket, message);
    }
  }

  private dispatch(socket: Socket, message: { readonly [key: string]: Json }): void {
    if (typeof message.method === 'string') {
      // the server's own requests: only echo needs an answer (update, locked, stolen concern monitors and locks, unused here)
      if (message.method === 'echo' && message.id !== undefined && message.id !== null) {
        socket.write(JSON.stringify({ id: message.id, result: message.params ?? [], error: null }));
      }
      return;
    }
    const id = message.id;
    const pending = typeof id === 'number' ? this.pending.get(id) : undefined;
    if (pending === undefined || typeof id !== 'number') return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if (this.pending.size === 0) socket.unref();
    if (message.error !== undefined && message.error !== null) {
      pending.reject(new OvsdbError(this.target, `${pending.method} failed: ${describeError(message.error)}`));
    } else {
      pending.resolve(message.result ?? null);
    }
  }

  /** Forgets a connection and fails what waited on it (a no-op for one already dropped). */
  private drop(socket: Socket, err: OvsdbError): void {
    if (this.socket !== socket) {
      socket.destroy();
      return;
    }
    this.socket = null;
    this.splitter.reset();
    socket.destroy();
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const p of waiting) {
      clearTimeout(p.timer);
      p.reject(err);
    }
  }
}

/** RFC 7047 errors: a string, or `{"error": …, "details": …}` */
function describeError(error: Json): string {
  if (typeof error === 'string') return error;
  if (isObject(error) && typeof error.error === 'string') {
    return typeof error.details === 'string' && error.details !== '' ? `${error.error}: ${error.details}` : error.error;
  }
  return JSON.stringify(error);
}
