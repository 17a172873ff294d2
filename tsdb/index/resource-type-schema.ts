/**
 * Resource types: named sets of typed attributes (string, uuid, number, bool,
 * datetime) that resources of the type carry besides the generic columns.
 * Definitions are validated, and attribute values checked, with Gnocchi's
 * rules and wording (its `resource_type.py`), since clients match on both.
 */
import { InvalidInputError } from '../errors.js';
import { formatTimestamp, parseTimestamp } from '../time.js';

export type AttributeType = 'string' | 'uuid' | 'number' | 'bool' | 'datetime';

/** An attribute as Gnocchi prints it in a resource type. */
export type AttributeDefinition =
  | { readonly type: 'string'; readonly required: boolean; readonly max_length: number; readonly min_length: number }
  | { readonly type: 'number'; readonly required: boolean; readonly min: number | null; readonly max: number | null }
  | { readonly type: 'uuid' | 'bool' | 'datetime'; readonly required: boolean };

export type ResourceTypeState = 'active' | 'creating' | 'creation_error' | 'deleting' | 'deletion_error' | 'updating' | 'updating_error';

export interface ResourceType {
  readonly name: string;
  readonly attributes: Readonly<Record<string, AttributeDefinition>>;
  readonly state: ResourceTypeState;
}

/** A stored attribute value: strings for uuid (canonical) and datetime (ISO, UTC, µs). */
export type AttributeValue = string | number | boolean | null;

/** Names the generic resource columns already use. */
const INVALID_NAMES = new Set([
  'id', 'type', 'metrics', 'revision', 'revision_start', 'revision_end', 'started_at', 'ended_at',
  'user_id', 'project_id', 'created_by_user_id', 'created_by_project_id', 'get_metric', 'creator',
]);
const VALID_START = /^[a-zA-Z0-9]/;

/** Gnocchi answers a bad definition with 400 "Invalid input: …" (a plain string, not voluptuous' object). */
export class InvalidResourceAttribute extends Error {}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Python's numbers.Real: ints, floats and (being ints) booleans. */
const isReal = (v: unknown): v is number | boolean => typeof v === 'number' || typeof v === 'boolean';
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

const META_KEYS: Record<AttributeType, readonly string[]> = {
  string: ['type', 'required', 'min_length', 'max_length'],
  number: ['type', 'required', 'min', 'max'],
  uuid: ['type', 'required'],
  bool: ['type', 'required'],
  datetime: ['type', 'required'],
};

/**
 * Checks one attribute definition (`{"type": "string", "max_length": 32}`) and
 * fills in the defaults. `forUpdate`: a definition added by a resource type
 * patch, which may carry `options.fill` for the resources that exist.
 * Returns the definition and the fill value, if any.
 */
export function parseAttribute(
  name: string,
  raw: unknown,
  forUpdate = false,
): { definition: AttributeDefinition; fill: AttributeValue | undefined } {
  const path = `attributes.${name}`;
  if (!isPlainObject(raw)) throw new InvalidInputError(path, 'expected a dictionary');
  const type = raw.type;
  if (typeof type !== 'string' || !(type in META_KEYS)) throw new InvalidInputError(path, 'not a valid value');
  const allowed = forUpdate ? [...META_KEYS[type as AttributeType], 'options'] : META_KEYS[type as AttributeType];
  for (const key of Object.keys(raw)) if (!allowed.includes(key)) throw new InvalidInputError(path, 'not a valid value');
  const required = raw.required ?? true;
  if (typeof required !== 'boolean') throw new InvalidInputError(path, 'not a valid value');
  let definition: AttributeDefinition;
  if (type === 'string') {
    const minLength = raw.min_length ?? 0;
    const maxLength = raw.max_length ?? 255;
    if (!isInt(minLength) || minLength < 0 || minLength > 255 || !isInt(maxLength) || maxLength < 1 || maxLength > 255) {
      throw new InvalidInputError(path, 'not a valid value');
    }
    if (minLength > maxLength) throw valueOrder(minLength, maxLength);
    definition = { type, required, max_length: maxLength, min_length: minLength };
  } else if (type === 'number') {
    const min = raw.min ?? null;
    const max = raw.max ?? null;
    if ((min !== null && !isReal(min)) || (max !== null && !isReal(max))) throw new InvalidInputError(path, 'not a valid value');
    if (min !== null && max !== null && Number(min) > Number(max)) throw valueOrder(Number(min), Number(max));
    definition = { type, required, min: min === null ? null : Number(min), max: max === null ? null : Number(max) };
  } else {
    definition = { type: type as 'uuid' | 'bool' | 'datetime', required };
  }
  if (name.length > 63 || INVALID_NAMES.has(name) || !VALID_START.test(name)) {
    throw new InvalidResourceAttribute(`Resource attribute name ${name} is invalid`);
  }
  let fill: AttributeValue | undefined;
  if (forUpdate) {
    const options = raw.options ?? {};
    if (!isPlainObject(options) || Object.keys(options).some((k) => k !== 'fill')) throw new InvalidInputError(path, 'not a valid value');
    const rawFill = options.fill;
    if (rawFill === undefined || rawFill === null) {
      if (required) throw new InvalidResourceAttribute(`Option 'fill' of resource attribute ${name} is invalid: must not be empty if required=True`);
    } else {
      try {
        fill = checkValue(definition, rawFill);
      } catch (err) {
        if (!(err instanceof InvalidInputError)) throw err;
        throw new InvalidResourceAttribute(`Option 'fill' of resource attribute ${name} is invalid: ${err.reason}`);
      }
    }
  }
  return { definition, fill };
}

function valueOrder(min: number, max: number): InvalidResourceAttribute {
  // (sic) two spaces, as Gnocchi words it
  return new InvalidResourceAttribute(
    `Resource attribute value min (or min_length) ${String(min)} must be less  than or equal to max (or max_length) ${String(max)}!`,
  );
}

const UUID_HEX = /^[0-9a-f]{32}$/;

/** Python's uuid.UUID(text): hex digits with optional dashes, braces and urn:uuid: prefix; canonical form out. */
export function parseUuid(value: unknown): string {
  if (typeof value !== 'string') throw new InvalidInputError('', `'${typeof value === 'number' ? 'int' : typeof value}' object has no attribute 'replace'`);
  const hex = value.replace(/^urn:/i, '').replace(/^uuid:/i, '').replace(/^\{|\}$/g, '').replace(/-/g, '').toLowerCase();
  if (!UUID_HEX.test(hex)) throw new InvalidInputError('', 'badly formed hexadecimal UUID string');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * An attribute value as stored, or InvalidInputError with voluptuous' reason
 * (the caller adds the field).
 */
export function checkValue(def: AttributeDefinition, value: unknown): AttributeValue {
  switch (def.type) {
    case 'string':
      if (typeof value !== 'string') throw new InvalidInputError('', 'expected str');
      if (value.length < def.min_length) throw new InvalidInputError('', `length of value must be at least ${def.min_length}`);
      if (value.length > def.max_length) throw new InvalidInputError('', `length of value must be at most ${def.max_length}`);
      return value;
    case 'number': {
      if (!isReal(value)) throw new InvalidInputError('', 'expected Real');
      const n = Number(value);
      if (def.min !== null && n < def.min) throw new InvalidInputError('', `value must be at least ${String(def.min)}`);
      if (def.max !== null && n > def.max) throw new InvalidInputError('', `value must be at most ${String(def.max)}`);
      return n;
    }
    case 'bool':
      if (typeof value !== 'boolean') throw new InvalidInputError('', 'expected bool');
      return value;
    case 'uuid':
      return parseUuid(value);
    case 'datetime':
      return formatTimestamp(parseTimestamp('', value));
  }
}
