/**
 * Request bodies are validated by fastify's JSON-schema validator; its first
 * error is reworded the way Gnocchi's validator (voluptuous) words it, since
 * clients and Gnocchi's own test suites match on that text.
 */
import type { FastifySchemaValidationError } from 'fastify/types/schema.js';
import { InvalidInputError } from '../errors.js';
import { HttpError, invalidInput } from './http-error.js';

function pathOf(instancePath: string): (string | number)[] {
  return instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

const TYPE_NAMES: Record<string, string> = { string: 'str', object: 'a dictionary', array: 'a list', number: 'a number', integer: 'int', boolean: 'bool' };

/** voluptuous looks at a mapping's keys (extra ones first), then at missing keys, then at values. */
const PRIORITY: Record<string, number> = { additionalProperties: 0, required: 1 };

export function schemaError(errors: readonly FastifySchemaValidationError[]): HttpError {
  const e = [...errors].sort(
    (a, b) => a.instancePath.split('/').length - b.instancePath.split('/').length || (PRIORITY[a.keyword] ?? 2) - (PRIORITY[b.keyword] ?? 2),
  )[0];
  const path = pathOf(e.instancePath);
  const params = e.params as Record<string, unknown>;
  const forValue = path.length > 0 ? ' for dictionary value' : '';
  switch (e.keyword) {
    case 'additionalProperties':
      return invalidInput('extra keys not allowed', [...path, String(params.additionalProperty)]);
    case 'required':
      return invalidInput('required key not provided', [...path, String(params.missingProperty)]);
    case 'minItems':
      return invalidInput(`length of value must be at least ${String(params.limit)}${forValue}`, path);
    case 'maxItems':
      return invalidInput(`length of value must be at most ${String(params.limit)}${forValue}`, path);
    case 'minLength':
      return invalidInput(`length of value must be at least ${String(params.limit)}${forValue}`, path);
    case 'maxLength':
      return invalidInput(`length of value must be at most ${String(params.limit)}${forValue}`, path);
    case 'minimum':
      return invalidInput(`value must be at least ${String(params.limit)}${forValue}`, path);
    case 'type': {
      const t = String(params.type).split(',')[0];
      const name = TYPE_NAMES[t] ?? t;
      return invalidInput(`expected ${name}${forValue}`, path);
    }
    default:
      return invalidInput(`not a valid value${forValue}`, path);
  }
}

/** A domain InvalidInputError (field like `definition[0].granularity`) as Gnocchi's "Invalid input". */
export function fromInvalidInput(err: InvalidInputError, base: readonly (string | number)[] = []): HttpError {
  const path = [...base, ...err.field.split(/[.[\]]+/).filter(Boolean).map((p) => (/^\d+$/.test(p) ? Number(p) : p))];
  // voluptuous says "for dictionary value" of an error at a mapping's value, not at a list item
  return invalidInput(`${err.reason}${typeof path[path.length - 1] === 'string' ? ' for dictionary value' : ''}`, path);
}
