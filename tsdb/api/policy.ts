/**
 * Who may see and change what: Gnocchi's default policy (rest/policy.json).
 * - admin_or_creator: an admin, the creator, or a member of the creator's project;
 * - resource_owner: a member of the resource's project;
 * - metric_owner: a member of the project of the metric's resource.
 * Listings and searches of a non-admin are narrowed by a filter to what those
 * rules let them see.
 */
import type { FilterTree } from '../index/filter-sql.js';
import type { Metric } from '../index/metrics.js';
import type { Resource } from '../index/resources.js';
import type { Caller } from './auth.js';
import { HttpError } from './http-error.js';

const projectOfCreator = (creator: string | null): string | undefined => {
  if (creator === null) return undefined;
  const i = creator.indexOf(':');
  return i < 0 ? undefined : creator.slice(i + 1);
};

export function isAdminOrCreator(caller: Caller, creator: string | null): boolean {
  if (caller.isAdmin) return true;
  if (creator !== null && creator === caller.creator) return true;
  return caller.projectId !== '' && projectOfCreator(creator) === caller.projectId;
}

const isProjectMember = (caller: Caller, projectId: string | null | undefined): boolean =>
  caller.projectId !== '' && projectId !== null && projectId !== undefined && projectId === caller.projectId;

export const canSeeResource = (caller: Caller, r: Resource): boolean => isAdminOrCreator(caller, r.creator) || isProjectMember(caller, r.projectId);

export const canChangeResource = (caller: Caller, r: Resource): boolean => isAdminOrCreator(caller, r.creator);

/** get metric / get measures: the creator's side, or the project owning the metric's resource. */
export const canSeeMetric = (caller: Caller, m: Metric, resourceProjectId?: string | null): boolean =>
  isAdminOrCreator(caller, m.creator) || isProjectMember(caller, resourceProjectId);

/** post measures / delete metric */
export const canChangeMetric = (caller: Caller, m: Metric): boolean => isAdminOrCreator(caller, m.creator);

export function requireAccess(allowed: boolean): void {
  if (!allowed) throw new HttpError(403);
}

/**
 * The filter that narrows a non-admin's resource listing to their project's
 * resources and those their project created; undefined for admins and for
 * basic auth (which has no projects, as in Gnocchi).
 */
export function resourcePolicyFilter(caller: Caller): FilterTree | undefined {
  if (caller.isAdmin || !caller.hasProjects) return undefined;
  const p = caller.projectId;
  return { or: [{ '=': { project_id: p || null } }, p ? { like: { creator: `%:${p}` } } : { '=': { creator: null } }] };
}

/** A filter and the caller's policy filter, both of which must hold. */
export function narrowed(filter: FilterTree | undefined, policy: FilterTree | undefined): FilterTree | undefined {
  if (!policy) return filter;
  if (!filter || Object.keys(filter).length === 0) return policy;
  return { and: [policy, filter] };
}
