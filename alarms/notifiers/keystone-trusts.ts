/**
 * Keystone trusts for trust+http(s) actions, as Aodh's keystone_client does:
 * the alarm's owner delegates roles in their project to tally's service user
 * (the trustee, with impersonation), and tally later asks Keystone for a token
 * scoped to that trust to call the action URL as the owner. The API creates
 * and deletes trusts; the trust notifier takes tokens, cached until shortly
 * before they expire.
 */
import type { KeystoneOptions } from '../../tsdb/api/keystone.js';
import { isObject as isRecord } from '../../tsdb/json-object.js';

/** tally's service user: the same settings as keystone auth (keystone_url, keystone_username, …). */
export type KeystoneServiceOptions = Pick<KeystoneOptions, 'url' | 'username' | 'password' | 'projectName' | 'userDomainName' | 'projectDomainName' | 'timeoutMs'>;

export class KeystoneError extends Error {
  constructor(
    message: string,
    /** Keystone's HTTP status, null when it did not answer */
    readonly status: number | null,
    /** false: asking again will not help (the trust is gone, the request is wrong) */
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'KeystoneError';
  }
}

export interface NewTrust {
  /** the trustor's own token (a trust can only be created by its trustor) */
  readonly userToken: string;
  readonly trustorUserId: string;
  readonly projectId: string;
  /** role names delegated, e.g. the roles of the trustor's token */
  readonly roles: readonly string[];
}

interface Token {
  readonly token: string;
  readonly userId: string;
  /** ms: renew from then on */
  readonly renewAt: number;
}


/** Renew a minute before expiry, or at half the token's life when that is shorter. */
const renewAt = (expiresAt: number, now: number): number => expiresAt - Math.min(60_000, Math.max(0, expiresAt - now) / 2);

/** Most trust tokens kept; expired ones are dropped first. */
const MAX_TRUST_TOKENS = 10_000;

export class KeystoneTrusts {
  /** the v3 endpoint */
  readonly url: string;
  private service: Token | undefined;
  private servicePending: Promise<Token> | undefined;
  private readonly trustTokens = new Map<string, Token>();
  private readonly trustPending = new Map<string, Promise<Token>>();

  constructor(private readonly options: KeystoneServiceOptions) {
    if (!options.url) throw new Error('trust+http(s) actions need keystone_url, Keystone\'s v3 endpoint');
    const base = new URL(options.url).href.replace(/\/+$/, '');
    this.url = /\/v3$/.test(base) ? base : `${base}/v3`;
  }

  /** Creates a trust from the token's user to tally's service user, with impersonation; returns its id. */
  async createTrust(t: NewTrust): Promise<string> {
    if (t.roles.length === 0) throw new KeystoneError('a trust needs at least one role', null, false);
    const trustee = (await this.serviceToken()).userId;
    const body = {
      trust: { trustor_user_id: t.trustorUserId, trustee_user_id: trustee, project_id: t.projectId, impersonation: true, roles: t.roles.map((name) => ({ name })) },
    };
    const res = await this.send('POST', '/OS-TRUST/trusts', { 'x-auth-token': t.userToken, 'content-type': 'application/json' }, JSON.stringify(body));
    const doc = await this.json(res);
    const trust = isRecord(doc) ? doc.trust : undefined;
    if (res.status !== 201 || !isRecord(trust) || typeof trust.id !== 'string') throw this.refusal('create a trust', res.status, doc);
    return trust.id;
  }

  /**
   * Deletes a trust; false when it was already gone. Keystone lets the trustor
   * delete it (pass their token, as Aodh does) and admins: without a user
   * token tally's service token is used, which works when the service user
   * has the admin role.
   */
  async deleteTrust(trustId: string, userToken?: string): Promise<boolean> {
    let res: Response;
    for (let attempt = 0; ; attempt++) {
      const service = userToken === undefined ? await this.serviceToken() : undefined;
      res = await this.send('DELETE', `/OS-TRUST/trusts/${encodeURIComponent(trustId)}`, { 'x-auth-token': userToken ?? service!.token });
      // 401 to tally's own token: revoked or rotated before its expiry (a password reset does that); renew it, once
      if (res.status !== 401 || !service || attempt > 0) break;
      await res.body?.cancel();
      if (this.service === service) this.service = undefined;
    }
    const doc = res.status === 204 ? null : await this.json(res);
    this.forgetTrustToken(trustId);
    if (res.status === 204) return true;
    if (res.status === 404) return false;
    throw this.refusal('delete a trust', res.status, doc);
  }

  /** A token scoped to the trust, for tally's service user (as the trustor, with impersonation). */
  async trustToken(trustId: string, signal?: AbortSignal): Promise<string> {
    const now = Date.now();
    const hit = this.trustTokens.get(trustId);
    if (hit && now < hit.renewAt) return hit.token;
    let pending = this.trustPending.get(trustId);
    if (!pending) {
      pending = this.issueTrustToken(trustId, signal).finally(() => this.trustPending.delete(trustId));
      this.trustPending.set(trustId, pending);
    }
    return (await pending).token;
  }

  /** Drops a cached trust token (the receiver refused it: it may have been revoked). */
  forgetTrustToken(trustId: string): void {
    this.trustTokens.delete(trustId);
  }

  /** tally's service user id (the trustee of every trust). */
  async serviceUserId(): Promise<string> {
    return (await this.serviceToken()).userId;
  }

  private async issueTrustToken(trustId: string, signal?: AbortSignal): Promise<Token> {
    const res = await this.authenticate({ 'OS-TRUST:trust': { id: trustId } }, signal);
    if (res.status === 401 || res.status === 403 || res.status === 404) {
      await res.body?.cancel();
      // 401 also means wrong service credentials: only a trust refusal is final
      try {
        await this.serviceToken();
      } catch (err) {
        throw err instanceof KeystoneError ? err : new KeystoneError(String(err), null, true);
      }
      throw new KeystoneError(`Keystone refused a token for the alarm's trust (HTTP ${res.status}): the trust was deleted or expired, or its trustor lost the roles`, res.status, false);
    }
    const token = await this.tokenOf(res, 'a trust-scoped token');
    if (this.trustTokens.size >= MAX_TRUST_TOKENS) {
      const now = Date.now();
      for (const [id, t] of this.trustTokens) if (t.renewAt <= now) this.trustTokens.delete(id);
      while (this.trustTokens.size >= MAX_TRUST_TOKENS) this.trustTokens.delete(this.trustTokens.keys().next().value as string);
    }
    this.trustTokens.set(trustId, token);
    return token;
  }

  private serviceToken(): Promise<Token> {
    if (this.service && Date.now() < this.service.renewAt) return Promise.resolve(this.service);
    this.servicePending ??= this.issueServiceToken().finally(() => (this.servicePending = undefined));
    return this.servicePending;
  }

  private async issueServiceToken(): Promise<Token> {
    const o = this.options;
    const res = await this.authenticate({ project: { name: o.projectName, domain: { name: o.projectDomainName } } });
    if (res.status === 401) {
      await res.body?.cancel();
      throw new KeystoneError(`Keystone refused tally's service credentials (user ${o.username} in domain ${o.userDomainName}, project ${o.projectName})`, 401, true);
    }
    this.service = await this.tokenOf(res, "tally's service token");
    return this.service;
  }

  /** Password authentication of the service user with the given scope. */
  private authenticate(scope: Record<string, unknown>, signal?: AbortSignal): Promise<Response> {
    const o = this.options;
    const body = {
      auth: { identity: { methods: ['password'], password: { user: { name: o.username, domain: { name: o.userDomainName }, password: o.password } } }, scope },
    };
    return this.send('POST', '/auth/tokens?nocatalog', { 'content-type': 'application/json' }, JSON.stringify(body), signal);
  }

  private async tokenOf(res: Response, what: string): Promise<Token> {
    const doc = await this.json(res);
    const token = res.headers.get('x-subject-token');
    const t = isRecord(doc) ? doc.token : undefined;
    const userId = isRecord(t) && isRecord(t.user) && typeof t.user.id === 'string' ? t.user.id : '';
    const expiresAt = isRecord(t) && typeof t.expires_at === 'string' ? Date.parse(t.expires_at) : NaN;
    if (res.status !== 201 || !token || !userId || !Number.isFinite(expiresAt)) throw this.refusal(`issue ${what}`, res.status, doc);
    return { token, userId, renewAt: renewAt(expiresAt, Date.now()) };
  }

  private refusal(what: string, status: number, doc: unknown): KeystoneError {
    const e = isRecord(doc) && isRecord(doc.error) && typeof doc.error.message === 'string' ? `: ${doc.error.message}` : '';
    return new KeystoneError(`Keystone did not ${what} (HTTP ${status}${e})`, status, status >= 500 || status === 408 || status === 429);
  }

  private async json(res: Response): Promise<unknown> {
    try {
      return await res.json();
    } catch {
      return null;
    }
  }

  private async send(method: string, path: string, headers: Record<string, string>, body?: string, signal?: AbortSignal): Promise<Response> {
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      return await fetch(`${this.url}${path}`, {
        method,
        headers: { accept: 'application/json', ...headers },
        body,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (err) {
      const reason = timeout.aborted
        ? `no answer within ${timeoutMs / 1000} s`
        : signal?.aborted
          ? 'interrupted'
          : err instanceof Error
            ? ((err.cause as Error | undefined)?.message ?? err.message)
            : String(err);
      throw new KeystoneError(`Keystone at ${this.url} is unreachable: ${reason}`, null, true);
    }
  }
}
