/**
 * Who is calling. Modes, as Gnocchi's `api.auth_mode`:
 * - noauth: trust the X-User-Id / X-Project-Id / X-Roles headers that
 *   gnocchiclient's noauth plugin sends; without them the caller is admin;
 * - basic: HTTP basic auth, the user name is the identity, `admin` is admin;
 * - keystone: the X-Auth-Token header, validated by Keystone v3 (keystone.ts);
 *   the token's user, project and roles are the identity, role `admin` is admin.
 */
import type { FastifyRequest } from 'fastify';
import { HttpError } from './http-error.js';
import { KeystoneAuth, KeystoneUnavailableError } from './keystone.js';

/** keystone mode is its client: it holds the service token and the validation cache */
export type AuthMode = 'noauth' | 'basic' | KeystoneAuth;

export interface Caller {
  readonly userId: string;
  readonly projectId: string;
  readonly roles: readonly string[];
  readonly isAdmin: boolean;
  /**
   * Who Gnocchi records as creator: "user_id:project_id" when the identity
   * comes with a project (noauth, keystone), the user name with basic auth.
   */
  readonly creator: string;
  /** basic auth has no projects: Gnocchi applies no project filter to listings there */
  readonly hasProjects: boolean;
}

export function creatorOf(caller: Caller): string {
  return caller.creator;
}

export async function authenticate(mode: AuthMode, request: FastifyRequest): Promise<Caller> {
  if (mode instanceof KeystoneAuth) return keystoneCaller(mode, request);
  if (mode === 'basic') {
    const header = request.headers.authorization ?? '';
    const m = /^basic\s+(\S+)$/i.exec(header);
    if (!m) throw new HttpError(401);
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const user = decoded.split(':')[0];
    if (!user) throw new HttpError(401);
    return { userId: user, projectId: '', roles: user === 'admin' ? ['admin'] : [], isAdmin: user === 'admin', creator: user, hasProjects: false };
  }
  const userId = headerValue(request, 'x-user-id');
  const projectId = headerValue(request, 'x-project-id');
  const rolesHeader = headerValue(request, 'x-roles');
  if (userId === undefined && projectId === undefined && rolesHeader === undefined) {
    return { userId: 'admin', projectId: '', roles: ['admin'], isAdmin: true, creator: 'admin:', hasProjects: true };
  }
  const roles = (rolesHeader ?? '').split(',').map((r) => r.trim()).filter(Boolean);
  const user = userId ?? '';
  const project = projectId ?? '';
  return { userId: user, projectId: project, roles, isAdmin: roles.includes('admin'), creator: `${user}:${project}`, hasProjects: true };
}

/** As keystonemiddleware: identity headers a client sends (X-User-Id, …) count for nothing here. */
async function keystoneCaller(keystone: KeystoneAuth, request: FastifyRequest): Promise<Caller> {
  const token = headerValue(request, 'x-auth-token');
  if (!token) throw new HttpError(401);
  let identity;
  try {
    identity = await keystone.validate(token);
  } catch (err) {
    if (!(err instanceof KeystoneUnavailableError)) throw err;
    // the message says what is wrong (unreachable, refused credentials); a stack would not
    request.log.error(`keystone: cannot validate tokens: ${err.message}`);
    throw new HttpError(503, 'The identity service is unavailable.');
  }
  if (!identity) throw new HttpError(401);
  const { userId, projectId, roles } = identity;
  return { userId, projectId, roles, isAdmin: roles.includes('admin'), creator: `${userId}:${projectId}`, hasProjects: true };
}

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function requireAdmin(caller: Caller): void {
  if (!caller.isAdmin) throw new HttpError(403);
}
