/**
 * Ceilometer's trait plugins (entry points `ceilometer.event.trait_plugin`):
 * they turn the (path, value) matches of a field into values. Used by meter,
 * event and resource definitions alike.
 */
import { pySplit } from './jsonpath.js';
import { pyStr } from './python-values.js';
import { parseIsoTime } from './python-time.js';

export interface TraitPlugin {
  /** whether the plugin may return several values (a field in "all values" mode) */
  readonly supportsAllValues: boolean;
  values(matches: readonly (readonly [string, unknown])[]): unknown[];
}

export class DefinitionError extends Error {}

type Params = Readonly<Record<string, unknown>>;

function split(params: Params): TraitPlugin {
  const sep = typeof params.separator === 'string' ? params.separator : '.';
  const segment = Number(params.segment ?? 0);
  const maxSplit = params.max_split === undefined || params.max_split === null ? -1 : Number(params.max_split);
  return {
    supportsAllValues: true,
    values: (matches) =>
      matches.map(([, v]) => {
        const parts = pySplit(pyStr(v), sep, maxSplit);
        const i = segment < 0 ? parts.length + segment : segment;
        return i >= 0 && i < parts.length ? parts[i] : null;
      }),
  };
}

function bitfield(params: Params): TraitPlugin {
  const initial = Number(params.initial_bitfield ?? 0);
  const flags = Array.isArray(params.flags) ? (params.flags as Params[]) : [];
  return {
    supportsAllValues: false,
    values: (matches) => {
      const byPath = new Map(matches);
      let bits = initial;
      for (const f of flags) {
        const path = String(f.path);
        if (!byPath.has(path)) continue;
        if (!('value' in f) || byPath.get(path) === f.value) bits |= 2 ** Number(f.bit);
      }
      return [bits];
    },
  };
}

/** abs(end - start) in seconds; null unless exactly two fields that both parse. */
const timedelta: TraitPlugin = {
  supportsAllValues: false,
  values: (matches) => {
    if (matches.length !== 2) return [null];
    const start = parseIsoTime(matches[0][1]);
    const end = parseIsoTime(matches[1][1]);
    if (start === null || end === null) return [null];
    return [Math.abs(end.micros - start.micros) / 1e6];
  },
};

export function makePlugin(name: string, params: Params): TraitPlugin {
  switch (name) {
    case 'split':
      return split(params);
    case 'bitfield':
      return bitfield(params);
    case 'timedelta':
      return timedelta;
    default:
      throw new DefinitionError(`No plugin named ${name} available`);
  }
}
