/**
 * One scrape's HTTP exchange: GET the target's URL with the headers
 * Prometheus 2.42 sends (OpenMetrics preferred, 0.0.4 accepted, gzip),
 * kept-alive connections, a deadline enforced with an AbortController, the
 * body gunzipped and decoded (latin1 when it is ASCII, the same and faster).
 */
import { Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { gunzipSync } from 'node:zlib';
import { isAscii } from 'node:buffer';

/** Prometheus 2.42's scrape Accept header. */
export const SCRAPE_ACCEPT = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

export interface ScrapeBody {
  readonly text: string;
  readonly contentType: string | undefined;
  /** bytes received (compressed when gzipped) */
  readonly bytes: number;
}

export class ScrapeTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`scrape timed out after ${timeoutMs / 1000}s`);
    this.name = 'ScrapeTimeoutError';
  }
}

class ReusedSocketError extends Error {}

function gunzipBody(buf: Buffer): Buffer {
  try {
    return gunzipSync(buf, { chunkSize: 1 << 20 });
  } catch (err) {
    throw new Error(`gzip body: ${(err as Error).message}`);
  }
}

export class ScrapeHttpClient {
  private readonly http = new HttpAgent({ keepAlive: true, maxSockets: 4 });
  private readonly https = new HttpsAgent({ keepAlive: true, maxSockets: 4 });
  private readonly userAgent: string;

  constructor(userAgent = 'tally-scraper') {
    this.userAgent = userAgent;
  }

  /**
   * Fetches a target's exposition. Rejects on a non-200 answer, on a
   * timeout (ScrapeTimeoutError) and when `stop` aborts.
   */
  async fetch(url: string, timeoutMs: number, stop?: AbortSignal): Promise<ScrapeBody> {
    const controller = new AbortController();
    let timedOut = false;
    let done = false;
    // timers run before I/O in an event-loop turn: after a busy turn, let an answer that has arrived be read first
    const timer = setTimeout(() => {
      setImmediate(() => {
        if (done) return;
        timedOut = true;
        controller.abort();
      });
    }, timeoutMs);
    const onStop = (): void => controller.abort();
    stop?.addEventListener('abort', onStop);
    try {
      let res: IncomingMessage;
      try {
        res = await this.get(url, timeoutMs, controller.signal);
      } catch (err) {
        // a kept-alive connection the target closed as we reused it: once more on a new one (as Go's client does)
        if (!(err instanceof ReusedSocketError)) throw err;
        res = await this.get(url, timeoutMs, controller.signal);
      }
      const chunks: Buffer[] = [];
      let bytes = 0;
      for await (const chunk of res as AsyncIterable<Buffer>) {
        chunks.push(chunk);
        bytes += chunk.length;
      }
      if (res.statusCode !== 200) throw new Error(`server returned HTTP status ${res.statusCode} ${res.statusMessage ?? ''}`.trimEnd());
      let body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, bytes);
      // inflated here, as Prometheus does in the scrape: zlib's asynchronous form comes back to this
      // thread every chunk, which under load costs more waiting than inflating costs (~2 ms a MB)
      if ((res.headers['content-encoding'] ?? '').toLowerCase() === 'gzip') body = gunzipBody(body);
      if (controller.signal.aborted) throw new Error('aborted');
      // most expositions are ASCII: then latin1 makes the same string, faster
      return { text: body.toString(isAscii(body) ? 'latin1' : 'utf8'), contentType: res.headers['content-type'], bytes };
    } catch (err) {
      if (timedOut) throw new ScrapeTimeoutError(timeoutMs);
      throw err;
    } finally {
      done = true;
      clearTimeout(timer);
      stop?.removeEventListener('abort', onStop);
    }
  }

  private get(url: string, timeoutMs: number, signal: AbortSignal): Promise<IncomingMessage> {
    const https = url.startsWith('https:');
    return new Promise((resolve, reject) => {
      const req = (https ? httpsRequest : httpRequest)(
        url,
        {
          agent: https ? this.https : this.http,
          signal,
          headers: {
            Accept: SCRAPE_ACCEPT,
            'Accept-Encoding': 'gzip',
            'User-Agent': this.userAgent,
            'X-Prometheus-Scrape-Timeout-Seconds': String(timeoutMs / 1000),
          },
        },
        resolve,
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        reject(req.reusedSocket && (err.code === 'ECONNRESET' || err.message === 'socket hang up') ? new ReusedSocketError(err.message) : err);
      });
      req.end();
    });
  }

  close(): void {
    this.http.destroy();
    this.https.destroy();
  }
}
