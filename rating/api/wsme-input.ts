/**
 * Request input as CloudKitty's WSME layer reads it, with its messages:
 * bodies checked against a type's attributes in their order (unknown
 * attributes first, then each attribute: converted, validated, or missing),
 * query parameters against the handler's arguments, and CloudKitty's error
 * body `{"faultcode", "faultstring", "debuginfo"}`.
 */
import { pyRepr, pyStr } from '../../tsdb/python-repr.js';
import { Decimal } from '../decimal.js';

/** An error answered in WSME's shape. */
export class CkError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'CkError';
  }
}

/** WSME's InvalidInput. */
export const invalidInput = (field: string, value: unknown, message: string): CkError =>
  new CkError(400, `Invalid input for field/attribute ${field}. Value: '${value === undefined ? 'None' : pyStr(value)}'. ${message}`);

export const missingArgument = (name: string): CkError => new CkError(400, `Missing argument: "${name}"`);

/** Python's name of a JSON value's type, for "Wrong type" messages. */
function pyType(v: unknown): string {
  if (v === null) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'str';
  return Array.isArray(v) ? 'list' : 'dict';
}

/** oslo's is_uuid_like: 32 hex digits once braces, "urn:uuid:" and hyphens are dropped. */
export const isUuidLike = (v: string): boolean => /^[0-9a-f]{32}$/i.test(v.replace(/^urn:/i, '').replace(/^uuid:/i, '').replace(/[{}-]/g, ''));

export type AttrKind = 'text' | 'uuid' | 'decimal' | 'map-type' | 'bool' | 'int';

export interface AttrDef {
  /** the JSON key */
  readonly name: string;
  readonly kind: AttrKind;
  readonly mandatory?: boolean;
}

/** A converted attribute: strings, null, booleans, integers, or decimals with the text the client sent for them. */
export type AttrValue = string | null | boolean | number | { readonly decimal: Decimal; readonly shown: string };

/**
 * Reads a body as WSME reads the complex type `attrs` for the handler
 * argument `argName`; the result has the attributes given, converted.
 */
export function readBody(body: unknown, argName: string, attrs: readonly AttrDef[]): Map<string, AttrValue> {
  if (body === undefined || body === null) throw missingArgument(argName);
  // CloudKitty fails on anything but an object (500 "'list' object has no attribute 'keys'")
  if (typeof body !== 'object' || Array.isArray(body)) throw invalidInput(argName, body, 'Expected a JSON object.');
  const given = body as Record<string, unknown>;
  const unknown = Object.keys(given).filter((k) => !attrs.some((a) => a.name === k));
  if (unknown.length > 0) throw new CkError(400, `Unknown attribute for argument ${argName}: ${unknown.join(', ')}`);
  const out = new Map<string, AttrValue>();
  for (const attr of attrs) {
    if (!Object.prototype.hasOwnProperty.call(given, attr.name)) {
      if (attr.mandatory) throw invalidInput(attr.name, undefined, 'Mandatory field missing.');
      continue;
    }
    out.set(attr.name, convert(attr, given[attr.name], argName, given));
  }
  return out;
}

function convert(attr: AttrDef, v: unknown, argName: string, body: unknown): AttrValue {
  if (v === null) {
    // a null cost or level would reach the database as NULL (a 500 in CloudKitty): as missing
    if (attr.mandatory && attr.kind === 'decimal') throw invalidInput(attr.name, undefined, 'Mandatory field missing.');
    if (attr.kind === 'map-type') throw invalidInput(attr.name, v, 'Value should be one of: rate, flat');
    return null;
  }
  switch (attr.kind) {
    case 'text':
      if (typeof v !== 'string') throw invalidInput(attr.name, v, `Wrong type. Expected '<class 'str'>', got '<class '${pyType(v)}'>'`);
      return v;
    case 'uuid':
      if (typeof v !== 'string' || !isUuidLike(v)) throw invalidInput(attr.name, v, `Invalid UUID, got '${pyStr(v)}'`);
      return v;
    case 'map-type':
      if (v !== 'flat' && v !== 'rate') throw invalidInput(attr.name, v, 'Value should be one of: rate, flat');
      return v;
    case 'decimal': {
      // Decimal(str), Decimal(float) with every binary digit, Decimal(True) = 1
      let d: Decimal | null = null;
      if (typeof v === 'string') d = Decimal.parse(v);
      else if (typeof v === 'number') d = Decimal.fromNumber(v);
      else if (typeof v === 'boolean') d = Decimal.int(v ? 1 : 0);
      // CloudKitty fails with a 500 ("[<class 'decimal.ConversionSyntax'>]")
      if (d === null) throw invalidInput(attr.name, v, 'Not a decimal number.');
      return { decimal: d, shown: d.toString() };
    }
    case 'bool':
      // WSME's bool: numbers and booleans as Python's bool(), a few unambiguous words
      if (typeof v === 'boolean') return v;
      if (typeof v === 'number') return v !== 0;
      if (typeof v === 'string' && ['true', 't', 'yes', 'y', 'on', '1'].includes(v)) return true;
      if (typeof v === 'string' && ['false', 'f', 'no', 'n', 'off', '0'].includes(v)) return false;
      throw invalidInput(argName, pyRepr(body), `Value not an unambiguous boolean: ${pyStr(v)}`);
    case 'int': {
      // Python's int(): numbers truncated, strings of digits read
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
      if (typeof v === 'string' && /^\s*[+-]?\d(?:_?\d)*\s*$/.test(v)) return Number(v.replace(/_/g, ''));
      throw invalidInput(argName, pyRepr(body), `invalid literal for int() with base 10: ${pyRepr(typeof v === 'string' ? v : pyStr(v))}`);
    }
  }
}

export type QueryString = Record<string, string | string[] | undefined>;

/**
 * The query parameters a handler takes (`allowed`); any other is refused
 * as WSME refuses it. Repeated parameters keep their last value.
 */
export function readQuery(query: QueryString, allowed: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const unknown: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    if (!allowed.includes(k)) unknown.push(k);
    else out.set(k, Array.isArray(v) ? v[v.length - 1] : v);
  }
  if (unknown.length > 0) throw new CkError(400, `Unknown argument: "${unknown.join(', ')}"`);
  return out;
}

/** A boolean query parameter as WSME reads it: Python's bool() of the string, so any non-empty value is true ("false" too). */
export const queryFlag = (v: string | undefined): boolean => v !== undefined && v !== '';
