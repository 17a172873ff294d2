/**
 * Keystone v3 token validation, as keystonemiddleware's auth_token does in
 * front of Gnocchi. tally authenticates itself as a service user (password,
 * project-scoped), then asks Keystone about each caller's token with
 * `GET /v3/auth/tokens` (X-Auth-Token: the service token, X-Subject-Token: the
 * caller's). Answers, valid or not, are cached for `cacheSeconds`, never past the
 * token's expiry, in a bounded map: a revoked token keeps working until its
 * entry ages out, as with keystonemiddleware's token cache.
 */
import { createHash } from 'node:crypto';
import { isObject as isRecord } from '../json-object.js';

export interface KeystoneOptions {
  /** Keystone's v3 endpoint, e.g. http://127.0.0.1:5000/v3 ("/v3" is added when missing) */
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly projectName: string;
  readonly userDomainName: string;
  readonly projectDomainName: string;
  /** how long a validation answer is reused; 0: ask Keystone on every request */
  readonly cacheSeconds: number;
  /** most cached answers kept (default 10,000; the oldest go first) */
  readonly maxCacheEntries?: number;
  /** per request to Keystone (default 10 s) */
  readonly timeoutMs?: number;
}

/** What a valid token says about its bearer. */
export interface KeystoneIdentity {
  readonly userId: string;
  /** '' for a token not scoped to a project (unscoped, domain or system scope) */
  readonly projectId: string;
  readonly roles: readonly string[];
  /** ms since the epoch */
  readonly expiresAt: number;
}

/** Keystone did not answer, failed, or refused tally's own credentials: the API says 503. */
export class KeystoneUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeystoneUnavailableError';
  }
}

interface ServiceToken {
  readonly token: string;
  /** renew from then on, ahead of the expiry */
  readonly renewAt: number;
}

interface CacheEntry {
  readonly identity: KeystoneIdentity | null;
  readonly until: number;
}

/** Keystone tokens are printable ASCII (Fernet: ~180 chars); anything else is not worth a round trip. */
const PLAUSIBLE_TOKEN = /^[\x21-\x7e]{1,8192}$/;

export class KeystoneAuth {
  readonly url: string;
  private readonly options: KeystoneOptions;
  private readonly maxEntries: number;
  private readonly cache = new Map<string, CacheEntry>();
  /** validations in flight, so that a burst of requests with one token asks Keystone once */
  private readonly pending = new Map<string, Promise<KeystoneIdentity | null>>();
  private service: ServiceToken | undefined;
  private servicePending: Promise<ServiceToken> | undefined;

  constructor(options: KeystoneOptions) {
    if (!options.url) throw new Error('auth_mode keystone needs keystone_url, Keystone\'s v3 endpoint (e.g. http://127.0.0.1:5000/v3)');
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new Error(`keystone_url: not a URL: ${JSON.stringify(options.url)}`);
    }
    const base = url.href.replace(/\/+$/, '');
    this.url = /\/v3$/.test(base) ? base : `${base}/v3`;
    this.options = options;
    this.maxEntries = Math.max(1, options.maxCacheEntries ?? 10_000);
  }

  /** answers held in the cache (for tests and diagnostics) */
  get cachedAnswers(): number {
    return this.cache.size;
  }

  /** The identity behind `token`, or null when Keystone does not know it (invalid, expired, revoked). */
  validate(token: string): Promise<KeystoneIdentity | null> {
    if (!PLAUSIBLE_TOKEN.test(token)) return Promise.resolve(null);
    // keyed by a digest: bounded key size, and no bearer tokens kept in memory
    const key = createHash('sha256').update(token).digest('base64');
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      if (hit.until > Date.now()) {
        this.cache.set(key, hit); // most recently used last: eviction takes the first
        return Promise.resolve(hit.identity);
      }
    }
    let answer = this.pending.get(key);
    if (!answer) {
      answer = this.ask(token)
        .then((identity) => {
          this.remember(key, identity);
          return identity;
        })
        .finally(() => this.pending.delete(key));
      this.pending.set(key, answer);
    }
    return answer;
  }

  private remember(key: string, identity: KeystoneIdentity | null): void {
    const now = Date.now();
    const until = Math.min(now + this.options.cacheSeconds * 1000, identity?.expiresAt ?? Infinity);
    if (!(until > now)) return;
    while (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(key, { identity, until });
  }

  private async ask(token: string): Promise<KeystoneIdentity | null> {
    for (let attempt = 0; ; attempt++) {
      const service = await this.serviceToken();
      // nocatalog: the catalog is large and unused
      const res = await this.send('GET', '/auth/tokens?nocatalog', { 'x-auth-token': service.token, 'x-subject-token': token });
      if (res.status === 200) return identityOf(await jsonOf(res));
      await res.body?.cancel(); // frees the connection
      // Keystone's word for a token it does not accept (unknown, expired, revoked)
      if (res.status === 404) return null;
      // 401 is about tally's own token (expired early, revoked, rotated keys): renew it, once
      if (res.status === 401 && attempt === 0) {
        if (this.service === service) this.service = undefined;
        continue;
      }
      throw new KeystoneUnavailableError(`Keystone answered ${res.status} to a token validation${res.status === 403 ? ` (may user ${this.options.username} validate tokens?)` : ''}`);
    }
  }

  /** A valid token of tally's service user, for calls tally makes to other services. */
  async serviceTokenValue(): Promise<string> {
    return (await this.serviceToken()).token;
  }

  /** The service token, issued again a minute before it expires (or at half its life, if shorter). */
  private serviceToken(): Promise<ServiceToken> {
    if (this.service && Date.now() < this.service.renewAt) return Promise.resolve(this.service);
    this.servicePending ??= this.issueServiceToken().finally(() => (this.servicePending = undefined));
    return this.servicePending;
  }

  private async issueServiceToken(): Promise<ServiceToken> {
    const o = this.options;
    const body = {
      auth: {
        identity: { methods: ['password'], password: { user: { name: o.username, domain: { name: o.userDomainName }, password: o.password } } },
        scope: { project: { name: o.projectName, domain: { name: o.projectDomainName } } },
      },
    };
    const res = await this.send('POST', '/auth/tokens?nocatalog', { 'content-type': 'application/json' }, JSON.stringify(body));
    const token = res.headers.get('x-subject-token');
    if (res.status !== 201 || !token) {
      await res.body?.cancel();
      throw new KeystoneUnavailableError(
        res.status === 401
          ? `Keystone refused tally's service credentials (user ${o.username} in domain ${o.userDomainName}, project ${o.projectName})`
          : `Keystone answered ${res.status} to tally's service login`,
      );
    }
    const now = Date.now();
    const expiresAt = identityOf(await jsonOf(res))?.expiresAt ?? now;
    this.service = { token, renewAt: expiresAt - Math.min(60_000, (expiresAt - now) / 2) };
    return this.service;
  }

  /** One request to Keystone; a connection that fails is tried once more (servers close idle ones). */
  private async send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Response> {
    const timeout = this.options.timeoutMs ?? 10_000;
    let failure: unknown;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        return await fetch(`${this.url}${path}`, { method, headers: { accept: 'application/json', ...headers }, body, signal: AbortSignal.timeout(timeout) });
      } catch (err) {
        failure = err;
        if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) break;
      }
    }
    const reason = failure instanceof Error ? ((failure.cause as Error | undefined)?.message ?? failure.message) : String(failure);
    throw new KeystoneUnavailableError(`Keystone at ${this.url} is unreachable: ${reason}`, { cause: failure });
  }
}

async function jsonOf(res: Response): Promise<unknown> {
  try {
    return await res.json();
  } catch (err) {
    throw new KeystoneUnavailableError(`Keystone sent a body that is not JSON: ${String(err)}`, { cause: err });
  }
}

const idOf = (v: unknown): string => (isRecord(v) && typeof v.id === 'string' ? v.id : '');

/** The identity in a token document ({"token": {user, project, roles, expires_at}}), null when it has none. */
function identityOf(doc: unknown): KeystoneIdentity | null {
  const token = isRecord(doc) ? doc.token : undefined;
  if (!isRecord(token)) return null;
  const userId = idOf(token.user);
  const expiresAt = typeof token.expires_at === 'string' ? Date.parse(token.expires_at) : NaN;
  if (!userId || !Number.isFinite(expiresAt)) return null;
  const roles = Array.isArray(token.roles) ? token.roles.flatMap((r) => (isRecord(r) && typeof r.name === 'string' ? [r.name] : [])) : [];
  return { userId, projectId: idOf(token.project), roles, expiresAt };
}
