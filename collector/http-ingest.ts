/**
 * Notifications and samples over HTTP, for clouds without a broker tally can
 * reach (and for tests): the same processing as the bus, answered once
 * everything storable is durable.
 *
 *   POST /collector/notifications  a notification (oslo envelope or inner message) or a list of them
 *   POST /collector/samples        a list of samples in Ceilometer's polling-agent form
 *
 * Admin only. 202 with {"accepted", "duplicates", "failed": [{"index", "reason"}]};
 * 400 naming the first malformed one, with nothing stored, when any is malformed.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../tsdb/api/http-error.js';
import type { Collector } from './collector.js';
import { isMapping } from './definitions/python-values.js';
import { NotificationProcessor } from './notification-processor.js';
import { PoisonMessage } from './notification.js';

/** A polling agent's sample as the notification its agent would have sent (one per sample, so each is deduplicated alone). */
function pollingNotification(sample: unknown, i: number): Record<string, unknown> {
  if (!isMapping(sample)) throw new HttpError(400, { cause: 'Invalid input', reason: `samples[${i}] is not an object`, detail: [String(i)] });
  const id = typeof sample.message_id === 'string' && sample.message_id !== '' ? sample.message_id : createHash('sha1').update(JSON.stringify(sample)).digest('hex');
  return {
    message_id: `sample:${id}`,
    event_type: 'telemetry.polling',
    priority: 'SAMPLE',
    publisher_id: 'tally.http',
    timestamp: typeof sample.timestamp === 'string' ? sample.timestamp : new Date().toISOString(),
    payload: { samples: [sample] },
  };
}

export async function collectorRoutes(app: FastifyInstance, { collector }: { collector: Collector }): Promise<void> {
  const ingest = async (bodies: unknown[]): Promise<{ accepted: number; duplicates: number; failed: { index: number; reason: string }[] }> => {
    bodies.forEach((b, i) => {
      try {
        NotificationProcessor.parse(b);
      } catch (err) {
        if (!(err instanceof PoisonMessage)) throw err;
        throw new HttpError(400, { cause: 'Invalid notification', reason: err.message, detail: [String(i)] });
      }
    });
    const before = collector.stats().processor.duplicates;
    const outcomes = await collector.process(bodies);
    const duplicates = collector.stats().processor.duplicates - before;
    const failed = outcomes.flatMap((o, index) => (o ? [{ index, reason: o.deadLetter }] : []));
    return { accepted: bodies.length - failed.length - duplicates, duplicates, failed };
  };

  app.post('/collector/notifications', async (request, reply) => {
    if (!request.caller.isAdmin) throw new HttpError(403, 'Access was denied to this resource.');
    const body = request.body;
    if (body === undefined || body === null) throw new HttpError(400, { cause: 'Invalid input', reason: 'expected a notification or a list of them' });
    return reply.code(202).send(await ingest(Array.isArray(body) ? body : [body]));
  });

  app.post('/collector/samples', async (request, reply) => {
    if (!request.caller.isAdmin) throw new HttpError(403, 'Access was denied to this resource.');
    const body = request.body;
    if (!Array.isArray(body)) throw new HttpError(400, { cause: 'Invalid input', reason: 'expected a list of samples' });
    return reply.code(202).send(await ingest(body.map(pollingNotification)));
  });
}
