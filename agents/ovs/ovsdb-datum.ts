/**
 * Reading OVSDB datums (RFC 7047 §5.1): a column holds an atom, a set
 * `["set", [atom, …]]` (a one-element set may be sent as the bare atom), or a
 * map `["map", [[key, value], …]]`; a uuid atom is `["uuid", "…"]`.
 */
import type { Json } from './ovsdb-types.js';

function tagged(datum: Json | undefined, tag: string): readonly Json[] | null {
  return Array.isArray(datum) && datum.length === 2 && datum[0] === tag && Array.isArray(datum[1]) ? (datum[1] as readonly Json[]) : null;
}

/** the atoms of a set column, whether sent as a set or as one bare atom */
export function setAtoms(datum: Json | undefined): readonly Json[] {
  if (datum === undefined) return [];
  return tagged(datum, 'set') ?? [datum];
}

/** the uuid of a uuid atom, or null */
export function uuidOf(atom: Json | undefined): string | null {
  return Array.isArray(atom) && atom.length === 2 && atom[0] === 'uuid' && typeof atom[1] === 'string' ? atom[1] : null;
}

/** the uuids of a set-of-references column (Bridge.ports, Port.interfaces) */
export function uuidSet(datum: Json | undefined): string[] {
  return setAtoms(datum).flatMap((atom) => {
    const uuid = uuidOf(atom);
    return uuid === null ? [] : [uuid];
  });
}

/** an optional string column (min 0, max 1), e.g. Bridge.datapath_id, Interface.link_state */
export function optionalString(datum: Json | undefined): string | null {
  const atoms = setAtoms(datum);
  return atoms.length === 1 && typeof atoms[0] === 'string' ? atoms[0] : null;
}

/** an optional integer column (min 0, max 1), e.g. Interface.ofport */
export function optionalInteger(datum: Json | undefined): number | null {
  const atoms = setAtoms(datum);
  return atoms.length === 1 && typeof atoms[0] === 'number' && Number.isInteger(atoms[0]) ? atoms[0] : null;
}

function mapPairs(datum: Json | undefined): readonly Json[] {
  return tagged(datum, 'map') ?? [];
}

/** a string→string map column, e.g. external_ids */
export function stringMap(datum: Json | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const pair of mapPairs(datum)) {
    if (Array.isArray(pair) && typeof pair[0] === 'string' && typeof pair[1] === 'string') out.set(pair[0], pair[1]);
  }
  return out;
}

/** a string→integer map column, e.g. Interface.statistics */
export function integerMap(datum: Json | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const pair of mapPairs(datum)) {
    if (Array.isArray(pair) && typeof pair[0] === 'string' && typeof pair[1] === 'number') out.set(pair[0], pair[1]);
  }
  return out;
}
