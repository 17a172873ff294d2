/**
 * A notification as Ceilometer's endpoints see it, from the body that
 * arrives on the bus: the oslo.messaging envelope unwrapped, the
 * `_context_*` keys moved into `ctxt`, the priority lower-cased
 * (oslo_messaging's unpack_context and NotificationDispatcher).
 */
import { isMapping } from './definitions/python-values.js';

export interface NotificationMessage {
  readonly ctxt: Readonly<Record<string, unknown>>;
  readonly publisher_id: unknown;
  readonly event_type: string;
  readonly payload: unknown;
  readonly metadata: { readonly message_id: string; readonly timestamp: unknown };
}

/** The message (what definitions' JSONPaths see, as in Ceilometer) and its priority beside it. */
export interface Notification {
  readonly priority: string;
  readonly message: NotificationMessage;
}

/** A message that can never be processed: it goes to the dead-letter queue with this reason. */
export class PoisonMessage extends Error {}


/** The inner message of an oslo envelope ({"oslo.version": "2.0", "oslo.message": "<json>"}), or the body itself. */
export function unwrapEnvelope(body: unknown): Record<string, unknown> {
  if (!isMapping(body)) throw new PoisonMessage('the message is not a JSON object');
  if (!('oslo.version' in body)) return body;
  const version = String(body['oslo.version']);
  if (version.split('.')[0] !== '2') throw new PoisonMessage(`unsupported oslo.version ${version}`);
  const inner = body['oslo.message'];
  if (typeof inner !== 'string') throw new PoisonMessage('oslo.message is not a string');
  let parsed: unknown;
  try {
    parsed = JSON.parse(inner);
  } catch (err) {
    throw new PoisonMessage(`oslo.message is not JSON: ${(err as Error).message}`);
  }
  if (!isMapping(parsed)) throw new PoisonMessage('oslo.message is not a JSON object');
  return parsed;
}

/** The endpoint's view of a bus body (already JSON-parsed). */
export function toNotification(body: unknown): Notification {
  const msg = unwrapEnvelope(body);
  const ctxt: Record<string, unknown> = {};
  for (const k of Object.keys(msg)) if (k.startsWith('_context_')) ctxt[k.slice(9)] = msg[k];
  ctxt.client_timeout = msg._timeout ?? null;
  const eventType = msg.event_type;
  if (typeof eventType !== 'string') throw new PoisonMessage('event_type is missing or not a string');
  const messageId = msg.message_id;
  if (typeof messageId !== 'string' || messageId === '') throw new PoisonMessage('message_id is missing');
  return {
    priority: typeof msg.priority === 'string' ? msg.priority.toLowerCase() : '',
    message: {
      ctxt,
      publisher_id: msg.publisher_id ?? null,
      event_type: eventType,
      payload: msg.payload ?? null,
      metadata: { message_id: messageId, timestamp: msg.timestamp ?? null },
    },
  };
}
