/**
 * What the hashmap store refuses, worded as CloudKitty 17 words it (clients
 * and scripts read these texts). `kind` says which HTTP status the API gives:
 * CloudKitty answers 404 for an unknown id in the path, 409 for a duplicate,
 * 400 for the rest, an unknown id in a body included.
 */
export type HashMapErrorKind = 'not-found' | 'conflict' | 'invalid';

export class HashMapError extends Error {
  constructor(
    readonly kind: HashMapErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'HashMapError';
  }
}

const py = (v: string | null): string => (v === null ? 'None' : v);

export const noSuchService = (id: string): HashMapError => new HashMapError('not-found', `No such service: None (UUID: ${id})`);
export const noSuchField = (id: string): HashMapError => new HashMapError('not-found', `No such field: ${id}`);
export const noSuchGroup = (id: string): HashMapError => new HashMapError('not-found', `No such group: None (UUID: ${id})`);
export const noSuchMapping = (id: string): HashMapError => new HashMapError('not-found', `No such mapping: ${id}`);
export const noSuchThreshold = (id: string): HashMapError => new HashMapError('not-found', `No such threshold: ${id}`);
export const mappingHasNoGroup = (id: string): HashMapError => new HashMapError('not-found', `Mapping has no group (UUID: ${id})`);
export const thresholdHasNoGroup = (id: string): HashMapError => new HashMapError('not-found', `Threshold has no group (UUID: ${id})`);

export const serviceExists = (name: string, id: string): HashMapError => new HashMapError('conflict', `Service ${name} already exists (UUID: ${id})`);
export const fieldExists = (name: string, id: string): HashMapError => new HashMapError('conflict', `Field ${name} already exists (UUID: ${id})`);
export const groupExists = (name: string, id: string): HashMapError => new HashMapError('conflict', `Group ${name} already exists (UUID: ${id})`);

/**
 * A mapping or threshold that repeats another's key. `what` is the value or
 * level (CloudKitty's message shows, after an update, the last attribute it
 * set: the project id); `parent` is "service", "field", or "Mapping_id" /
 * "Threshold_id" after an update.
 */
export const mappingExists = (what: string | null, parentType: string, parentId: string, tenant: string | null): HashMapError =>
  new HashMapError('conflict', `Mapping '${py(what)}' already exists for ${parentType} '${parentId}', tenant: '${py(tenant)}'`);
export const thresholdExists = (what: string | null, parentType: string, parentId: string, tenant: string | null): HashMapError =>
  new HashMapError('conflict', `Threshold '${py(what)}' already exists for ${parentType} '${parentId}', tenant: '${py(tenant)}'`);

export const invalid = (message: string): HashMapError => new HashMapError('invalid', message);

/** In a body, an unknown parent or group is a client error (400), not a missing resource. */
export const asInvalid = (err: HashMapError): HashMapError => new HashMapError('invalid', err.message);
