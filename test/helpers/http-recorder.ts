/**
 * An HTTP proxy on a loopback port that forwards every request to one target
 * and keeps each exchange: what a real client (Heat, a CLI) sent to tally and
 * what tally answered, for assertions and for recorded replays.
 */
import { type IncomingHttpHeaders, type Server, createServer, request } from 'node:http';

export interface Exchange {
  /** ms since the recorder started */
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly status: number;
  readonly responseHeaders: IncomingHttpHeaders;
  readonly response: string;
}

export class HttpRecorder {
  readonly exchanges: Exchange[] = [];
  private server: Server | null = null;
  private readonly started = Date.now();
  port = 0;

  constructor(private readonly target: URL) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const up = request({ host: this.target.hostname, port: this.target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
          const back: Buffer[] = [];
          answer.on('data', (c: Buffer) => back.push(c));
          answer.on('end', () => {
            const response = Buffer.concat(back);
            this.exchanges.push({
              at: Date.now() - this.started,
              method: req.method ?? '',
              path: req.url ?? '',
              headers: req.headers,
              body: body.toString('utf8'),
              status: answer.statusCode ?? 0,
              responseHeaders: answer.headers,
              response: response.toString('utf8'),
            });
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(response);
          });
        });
        up.on('error', (err) => {
          res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(String(err));
        });
        up.end(body);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const a = server.address();
    this.port = typeof a === 'object' && a ? a.port : 0;
    this.server = server;
    return this.url;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
