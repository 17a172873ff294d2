/** A node:http (or https) server on 127.0.0.1 that records what it receives: the far end of alarm webhooks in tests. */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';

export interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  readonly peerSubject?: string;
}

export interface Receiver {
  readonly base: string;
  readonly requests: Received[];
  close(): Promise<void>;
}

export type Handler = (req: Received, res: ServerResponse, n: number) => void;

export const ok: Handler = (_req, res) => res.writeHead(200).end('{}');

/** A node:http (or https, with `tls`) server on 127.0.0.1 recording what it receives. */
/** `port`: a given one (an alarm's action may name it before the receiver exists); default any free one. */
export async function receiver(handler: Handler = ok, tls?: https.ServerOptions, port = 0): Promise<Receiver> {
  const requests: Received[] = [];
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const peer = tls ? (req.socket as TLSSocket).getPeerCertificate() : undefined;
      const r: Received = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        ...(peer?.subject ? { peerSubject: String(peer.subject.CN) } : {}),
      };
      requests.push(r);
      handler(r, res, requests.length);
    });
  };
  const server = tls ? https.createServer(tls, listener) : http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    base: `${tls ? 'https' : 'http'}://127.0.0.1:${bound}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

