/**
 * Resource ids as Gnocchi maps them: a UUID stays itself; any other text of
 * up to 255 characters becomes UUID5(namespace, text + "\0" + creator), so the
 * same original id from the same creator gives the same id as in Gnocchi.
 */
import { createHash } from 'node:crypto';
import { InvalidInputError } from '../errors.js';
import { parseUuid } from '../index/resource-type-schema.js';

const NAMESPACE = Buffer.from('0a7a15ffaa134ac2897c9bdf30ce175b', 'hex');

/** RFC 4122 version-5 UUID of `name` in `namespace` (16 bytes). */
export function uuid5(namespace: Buffer, name: string): string {
  const hash = createHash('sha1').update(namespace).update(name, 'utf8').digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The resource id for what a client sent; InvalidInputError (no field) with Gnocchi's reason otherwise. */
export function resourceUuid(value: string, creator: string | null): string {
  if (value.includes('/')) throw new InvalidInputError('', "'/' is not supported in resource id");
  try {
    return parseUuid(value);
  } catch {
    if (value.length > 255) throw new InvalidInputError('', 'transformable resource id >255 max allowed characters');
    return uuid5(NAMESPACE, `${value}\u0000${creator ?? '\u0000'}`);
  }
}
