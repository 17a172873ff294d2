/**
 * Keystone's service catalog, as a deployment fills it: one service per type and
 * its public, internal and admin endpoints in RegionOne. Clients that discover
 * their endpoints from a token's catalog (Heat's clients, the openstack CLI)
 * then find the service under test there. Idempotent: a service of that type
 * is reused and its endpoints replaced when their URL differs.
 */
import { issueToken } from './real-keystone.js';

export interface CatalogEntry {
  /** Keystone's service type: metric (Gnocchi), alarming (Aodh), orchestration (Heat), … */
  readonly type: string;
  /** the service's name, e.g. gnocchi */
  readonly name: string;
  readonly url: string;
  readonly description?: string;
}

const INTERFACES = ['public', 'internal', 'admin'] as const;

/** Registers (or re-points) each service, as Keystone's admin. */
export async function registerServices(keystoneUrl: string, adminPassword: string, entries: readonly CatalogEntry[]): Promise<void> {
  const token = await issueToken(keystoneUrl, 'admin', adminPassword, 'admin');
  const call = async (method: string, path: string, body?: unknown): Promise<any> => {
    const res = await fetch(`${keystoneUrl}${path}`, {
      method,
      headers: { 'x-auth-token': token, 'content-type': 'application/json', accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`Keystone ${method} ${path}: HTTP ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  for (const entry of entries) {
    const found = (await call('GET', `/services?type=${encodeURIComponent(entry.type)}`)).services as { id: string }[];
    const service = found[0] ?? (await call('POST', '/services', { service: { type: entry.type, name: entry.name, description: entry.description ?? entry.name, enabled: true } })).service;
    const endpoints = (await call('GET', `/endpoints?service_id=${service.id}`)).endpoints as { id: string; interface: string; url: string; region_id: string | null }[];
    for (const iface of INTERFACES) {
      const mine = endpoints.filter((e) => e.interface === iface);
      if (mine.length === 1 && mine[0].url === entry.url && mine[0].region_id === 'RegionOne') continue;
      for (const e of mine) await call('DELETE', `/endpoints/${e.id}`);
      await call('POST', '/endpoints', { endpoint: { service_id: service.id, interface: iface, url: entry.url, region_id: 'RegionOne', enabled: true } });
    }
  }
}
