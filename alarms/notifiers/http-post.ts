/**
 * One JSON POST to an http(s) URL, with Aodh's REST notifier TLS settings
 * (verify, CA bundle, client certificate, and the per-URL
 * `aodh-alarm-ssl-verify` query option), a timeout, and an answer sorted into
 * delivered / retry later / give up. node:http(s) rather than fetch: fetch
 * cannot take per-request TLS options without importing undici.
 *
 * The path and query are sent as written (only characters HTTP forbids are
 * escaped, as python-requests does), so Heat's pre-signed alarm URLs keep
 * their signature intact.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { type DeliveryResult, failed, retryableStatus } from './notifier.js';

export interface TlsSettings {
  /** verify the server's certificate (Aodh's rest_notifier_ssl_verify; default true) */
  readonly verify?: boolean;
  /** PEM CA bundle used instead of the system's when verifying (rest_notifier_ca_bundle_certificate_path) */
  readonly caFile?: string;
  /** PEM client certificate (rest_notifier_certificate_file); may hold the key too */
  readonly certFile?: string;
  /** PEM private key of the client certificate (rest_notifier_certificate_key) */
  readonly keyFile?: string;
}

export interface HttpPostOptions {
  readonly tls?: TlsSettings;
  /** whole exchange, connection to last byte of the answer (default 10 s) */
  readonly timeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
/** how much of an error answer is kept for the history line */
const ERROR_SNIPPET = 200;

const TARGET = /^(https?):\/\/([^/?#]*)([^#]*)/i;
/** python-requests' requote_uri: reserved and unreserved characters and '%' stay, anything else is escaped */
const UNSAFE = /[^!#$%&'()*+,\-./0-9:;=?@A-Z[\]_a-z~]/g;

interface Target {
  readonly secure: boolean;
  readonly hostname: string;
  readonly port: number;
  readonly path: string;
  readonly query: string;
  readonly auth?: string;
}

function parseTarget(url: string): Target | string {
  const m = TARGET.exec(url);
  if (!m) return 'not an http(s) URL';
  let parsed: URL;
  try {
    parsed = new URL(`${m[1]}://${m[2]}/`);
  } catch {
    return `invalid host in URL`;
  }
  const secure = m[1].toLowerCase() === 'https';
  const rest = m[3] === '' || m[3].startsWith('?') ? `/${m[3]}` : m[3];
  const path = rest.replace(UNSAFE, (c) => encodeURIComponent(c));
  const q = path.indexOf('?');
  // python-requests sends a URL's userinfo as basic auth
  const auth = parsed.username ? `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}` : undefined;
  return {
    secure,
    hostname: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port ? Number(parsed.port) : secure ? 443 : 80,
    path,
    query: q < 0 ? '' : path.slice(q + 1),
    ...(auth ? { auth } : {}),
  };
}

/** The last non-empty `aodh-alarm-ssl-verify` value as Python's int() reads it; undefined when absent. */
function verifyOption(query: string): boolean | string | undefined {
  const values = new URLSearchParams(query).getAll('aodh-alarm-ssl-verify').filter((v) => v !== '');
  if (values.length === 0) return undefined;
  const v = values[values.length - 1];
  if (!/^\s*[+-]?\d+\s*$/.test(v)) return `aodh-alarm-ssl-verify must be 0 or 1, not ${JSON.stringify(v)}`;
  return Number(v) !== 0;
}

async function tlsOptions(target: Target, tls: TlsSettings): Promise<https.RequestOptions | string> {
  const fromQuery = verifyOption(target.query);
  if (typeof fromQuery === 'string') return fromQuery;
  const verify = fromQuery ?? tls.verify ?? true;
  const options: https.RequestOptions = { rejectUnauthorized: verify };
  if (verify && tls.caFile) options.ca = await readFile(tls.caFile);
  if (tls.certFile) {
    options.cert = await readFile(tls.certFile);
    // without a key file the certificate file holds the key too (requests' cert=path)
    options.key = tls.keyFile ? await readFile(tls.keyFile) : options.cert;
  }
  return options;
}

function retryAfter(value: string | undefined): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, Math.ceil((at - Date.now()) / 1000)) : undefined;
}

const describe = (err: unknown): string => {
  if (!(err instanceof Error)) return String(err);
  const code = (err as NodeJS.ErrnoException).code;
  return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
};

/** POSTs `body` to `url`; never throws. */
export async function postJson(url: string, body: string, headers: Readonly<Record<string, string>>, options: HttpPostOptions, signal: AbortSignal): Promise<DeliveryResult> {
  const target = parseTarget(url);
  if (typeof target === 'string') return failed(target, false);
  let tls: https.RequestOptions = {};
  if (target.secure) {
    try {
      const t = await tlsOptions(target, options.tls ?? {});
      if (typeof t === 'string') return failed(t, false);
      tls = t;
    } catch (err) {
      // an operator's file: fixable without changing the alarm, so worth retrying
      return failed(`cannot read the TLS files: ${describe(err)}`, true);
    }
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const both = AbortSignal.any([signal, timeout]);
  const requestId = headers['x-openstack-request-id'];
  const payload = Buffer.from(body, 'utf8');

  return new Promise<DeliveryResult>((resolve) => {
    const fail = (err: unknown): void => {
      if (timeout.aborted) resolve(failed(`no complete answer within ${timeoutMs / 1000} s`, true, null, { requestId }));
      else if (signal.aborted) resolve(failed('interrupted: the notifier is stopping', true, null, { requestId }));
      else resolve(failed(describe(err), true, null, { requestId }));
    };
    const req = (target.secure ? https : http).request(
      {
        method: 'POST',
        hostname: target.hostname,
        port: target.port,
        path: target.path,
        ...(target.auth ? { auth: target.auth } : {}),
        headers: { ...headers, 'content-length': String(payload.length) },
        // one connection per notification: no idle sockets to go stale between alarms
        agent: false,
        signal: both,
        ...tls,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        res.on('data', (chunk: Buffer) => {
          if (kept < ERROR_SNIPPET * 4) {
            chunks.push(chunk);
            kept += chunk.length;
          }
        });
        res.on('error', fail);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve({ delivered: true, status, ...(requestId ? { requestId } : {}) });
          const text = Buffer.concat(chunks).toString('utf8').replace(/\s+/g, ' ').trim().slice(0, ERROR_SNIPPET);
          const what = `HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}${text ? `: ${text}` : ''}`;
          if (status >= 300 && status < 400) {
            return resolve(failed(`${what} (redirects are not followed${res.headers.location ? `; Location: ${res.headers.location}` : ''})`, false, status, { requestId }));
          }
          const after = retryAfter(res.headers['retry-after']);
          resolve(failed(what, retryableStatus(status), status, { requestId, ...(after !== undefined ? { retryAfterSeconds: after } : {}) }));
        });
      },
    );
    req.on('error', fail);
    req.end(payload);
  });
}
