/**
 * Event definitions in Ceilometer's event_definitions.yaml format, and the
 * event they make of a notification (ceilometer.event.converter): the last
 * definition whose event_type globs match wins, a catch-all keeps the default
 * traits of anything else, and each trait is typed (text, int, float,
 * datetime).
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { fnmatch } from '../../tsdb/index/archive-policies.js';
import { Field } from '../definitions/field.js';
import { isMapping } from '../definitions/python-values.js';
import { type PyDateTime, parseIsoTime } from '../definitions/python-time.js';
import { ConversionError, pyFloat, pyInt, pyStr } from '../definitions/python-values.js';
import { DefinitionError } from '../definitions/trait-plugins.js';
import { BoundedMemo } from '../../tsdb/bounded-memo.js';
import type { Event, EventTrait, TraitType } from '../../tsdb/index/events.js';
import type { Notification, NotificationMessage } from '../notification.js';

/** Trait types as definition files name them, and as they are stored (Panko's names). */
const TRAIT_TYPES = { text: 'string', int: 'integer', float: 'float', datetime: 'datetime' } as const;
type DefinedTraitType = keyof typeof TRAIT_TYPES;

/** A notification whose event cannot be built (Ceilometer logs it and drops the event). */
export class EventBuildError extends Error {}

const DEFAULT_TRAITS: Readonly<Record<string, unknown>> = {
  service: { type: 'text', fields: 'publisher_id' },
  request_id: { type: 'text', fields: 'ctxt.request_id' },
  project_id: { type: 'text', fields: ['payload.tenant_id', 'ctxt.project_id'] },
  user_id: { type: 'text', fields: ['payload.user_id', 'ctxt.user_id'] },
  tenant_id: { type: 'text', fields: ['payload.tenant_id', 'ctxt.project_id'] },
};

class TraitDefinition {
  private readonly field: Field;
  readonly type: DefinedTraitType;

  constructor(
    readonly name: string,
    cfg: unknown,
  ) {
    this.field = new Field(name, cfg);
    const type = isMapping(cfg) && cfg.type !== undefined ? String(cfg.type) : 'text';
    if (!Object.hasOwn(TRAIT_TYPES, type)) throw new DefinitionError(`Invalid trait type '${type}' for trait ${name}`);
    this.type = type as DefinedTraitType;
  }

  trait(n: NotificationMessage): EventTrait | null {
    const v = this.field.first(n);
    if (v === null) return null;
    if (this.type !== 'text' && v === '') return null;
    const type: TraitType = TRAIT_TYPES[this.type];
    return { name: this.name, type, value: convert(this.type, v, this.name) };
  }
}

function convert(type: DefinedTraitType, v: unknown, name: string): string | number {
  try {
    switch (type) {
      case 'int':
        return pyInt(v);
      case 'float':
        return pyFloat(v);
      case 'datetime': {
        const t = parseIsoTime(v);
        if (t === null) throw new ConversionError(`Unable to parse date string ${pyStr(v)}`);
        return t.micros;
      }
      default: {
        // Ceilometer crops text to its storage column: 255 characters (code points)
        const text = pyStr(v);
        return text.length <= 255 ? text : [...text].slice(0, 255).join('');
      }
    }
  } catch (err) {
    if (err instanceof ConversionError) throw new EventBuildError(`trait ${name}: ${err.message}`);
    throw err;
  }
}

class EventDefinition {
  private readonly included: string[] = [];
  private readonly excluded: string[] = [];
  private readonly traits = new Map<string, TraitDefinition>();

  constructor(cfg: unknown) {
    if (!isMapping(cfg)) throw new DefinitionError(`an event definition must be a mapping, got ${JSON.stringify(cfg)}`);
    for (const key of ['event_type', 'traits']) if (!(key in cfg)) throw new DefinitionError(`Required field ${key} not specified`);
    const types = Array.isArray(cfg.event_type) ? cfg.event_type.map(String) : [String(cfg.event_type)];
    for (const t of types) (t.startsWith('!') ? this.excluded : this.included).push(t.replace(/^!/, ''));
    if (this.excluded.length > 0 && this.included.length === 0) this.included.push('*');
    for (const [k, v] of Object.entries(DEFAULT_TRAITS)) this.traits.set(k, new TraitDefinition(k, v));
    const traits = cfg.traits;
    if (isMapping(traits)) for (const [k, v] of Object.entries(traits)) this.traits.set(k, new TraitDefinition(k, v));
  }

  get isCatchAll(): boolean {
    return this.included.includes('*') && this.excluded.length === 0;
  }

  matches(eventType: string): boolean {
    return this.included.some((p) => fnmatch(eventType, p)) && !this.excluded.some((p) => fnmatch(eventType, p));
  }

  event(message: NotificationMessage, generated: PyDateTime): Event {
    const traits: EventTrait[] = [];
    for (const d of this.traits.values()) {
      const t = d.trait(message);
      if (t !== null) traits.push(t);
    }
    return { messageId: message.metadata.message_id, eventType: message.event_type, generated: generated.micros, traits, raw: {} };
  }
}

export class EventDefinitions {
  /** event type → the definition that wins for it (null: none) */
  private readonly winner = new BoundedMemo<string, EventDefinition | null>(10_000, (eventType) =>
    this.definitions.find((x) => x.matches(eventType)) ?? null,
  );

  private constructor(private readonly definitions: readonly EventDefinition[]) {}

  static load(file: string): EventDefinitions {
    const doc: unknown = parse(readFileSync(file, 'utf8'), { merge: true });
    if (!Array.isArray(doc)) throw new DefinitionError(`${file}: expected a list of event definitions`);
    return EventDefinitions.fromConfigs(doc);
  }

  /** A bad definition stops the load, as in Ceilometer: events would silently change otherwise. */
  static fromConfigs(cfgs: readonly unknown[]): EventDefinitions {
    const defs = [...cfgs].reverse().map((c, i) => {
      try {
        return new EventDefinition(c);
      } catch (err) {
        if (err instanceof DefinitionError) throw new DefinitionError(`event definition #${cfgs.length - i}: ${err.message}`);
        throw err;
      }
    });
    if (!defs.some((d) => d.isCatchAll)) defs.push(new EventDefinition({ event_type: '*', traits: {} }));
    return new EventDefinitions(defs);
  }

  /** The event of an `info` or `error` notification (Ceilometer's event endpoint takes those two). */
  event({ priority, message }: Notification): Event | null {
    if (priority !== 'info' && priority !== 'error') return null;
    const d = this.winner.get(message.event_type);
    if (d === null) return null;
    const generated = parseIsoTime(message.metadata.timestamp);
    if (generated === null) throw new EventBuildError(`timestamp ${JSON.stringify(message.metadata.timestamp)} is not an ISO 8601 date`);
    return d.event(message, generated);
  }
}
