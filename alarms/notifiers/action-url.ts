/**
 * Alarm action URLs as Aodh reads them: the scheme picks the notifier, and
 * `trust+http(s)` URLs carry a Keystone trust ID in their userinfo
 * (`trust+http://TRUST_ID:delete@host/path`, ":delete" meaning the alarm owns
 * the trust and deletes it with the alarm). The trust ID is a bearer secret:
 * it never leaves the store, `scrubAction` removes it from everything shown.
 *
 * These work on the text, not on WHATWG URLs, so that nothing else in an
 * action (case, escapes, a signed query string) is ever rewritten.
 */

/** The schemes tally can notify, for the API's action validation. */
export const SUPPORTED_SCHEMES = ['http', 'https', 'trust+http', 'trust+https', 'log', 'mailto'] as const;
export type SupportedScheme = (typeof SUPPORTED_SCHEMES)[number];

export interface ActionParts {
  /** lower case, as Python's urlsplit gives it */
  readonly scheme: string;
  /** what follows `//` up to the path; null when the URL has no `//` (mailto:) */
  readonly authority: string | null;
  /** path, query and fragment, as written */
  readonly rest: string;
}

const SPLIT = /^([A-Za-z][A-Za-z0-9+.-]*):(?:\/\/([^/?#]*))?(.*)$/s;

/** Scheme, authority and the rest of an action URL; null when it has no scheme. */
export function splitAction(action: string): ActionParts | null {
  const m = SPLIT.exec(action);
  if (!m) return null;
  return { scheme: m[1].toLowerCase(), authority: m[2] ?? null, rest: m[3] };
}

/** The action's scheme in lower case, '' when it has none. */
export function schemeOf(action: string): string {
  return splitAction(action)?.scheme ?? '';
}

export function isSupportedScheme(scheme: string): scheme is SupportedScheme {
  return (SUPPORTED_SCHEMES as readonly string[]).includes(scheme);
}

export function isTrustScheme(scheme: string): boolean {
  return scheme.startsWith('trust+');
}

const join = (p: ActionParts, authority: string): string => `${p.scheme}://${authority}${p.rest}`;

/** The action without the trust ID of a trust+ URL, as Aodh's `_scrub_action_url`; other actions unchanged. */
export function scrubAction(action: string): string {
  const p = splitAction(action);
  if (!p || !isTrustScheme(p.scheme) || p.authority === null || !p.authority.includes('@')) return action;
  return join(p, p.authority.slice(p.authority.lastIndexOf('@') + 1));
}

export interface EmbeddedTrust {
  readonly trustId: string;
  /** ":delete" was given: the alarm created the trust and deletes it when it no longer needs it */
  readonly owned: boolean;
}

/** The trust ID of a trust+ action, or null when it has none (or is not a trust+ action). */
export function trustOf(action: string): EmbeddedTrust | null {
  const p = splitAction(action);
  if (!p || !isTrustScheme(p.scheme) || p.authority === null) return null;
  const at = p.authority.lastIndexOf('@');
  if (at < 0) return null;
  const userinfo = p.authority.slice(0, at);
  const colon = userinfo.indexOf(':');
  const trustId = colon < 0 ? userinfo : userinfo.slice(0, colon);
  if (!trustId) return null;
  return { trustId, owned: colon >= 0 && userinfo.slice(colon + 1) === 'delete' };
}

/** `trust+http://host/path` with the trust ID put in: `trust+http://TRUST[:delete]@host/path` (the API's update_actions). */
export function embedTrust(action: string, trustId: string, owned: boolean): string {
  const p = splitAction(action);
  if (!p || !isTrustScheme(p.scheme) || p.authority === null) throw new Error(`not a trust+ URL: ${action}`);
  const host = p.authority.slice(p.authority.lastIndexOf('@') + 1);
  return join(p, `${trustId}${owned ? ':delete' : ''}@${host}`);
}

/** The plain http(s) URL a trust+ action calls: the `trust+` prefix and the userinfo removed. */
export function trustTarget(action: string): string {
  const p = splitAction(action);
  if (!p || !isTrustScheme(p.scheme) || p.authority === null) throw new Error(`not a trust+ URL: ${scrubAction(action)}`);
  return `${p.scheme.slice('trust+'.length)}://${p.authority.slice(p.authority.lastIndexOf('@') + 1)}${p.rest}`;
}
