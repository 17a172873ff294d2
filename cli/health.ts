/**
 * GET /healthz (the process is alive and answers) and GET /readyz (it can
 * do its work: storage open and, where configured, the broker connected),
 * for load balancers and orchestrators; both unauthenticated, as
 * /healthcheck (tsdb/api/app.ts). Not ready is 503 with the reasons.
 */
import type { FastifyInstance } from 'fastify';

/** One condition of readiness: null when met, else why not. */
export type ReadinessCheck = () => Promise<string | null> | string | null;

/** a check that takes longer (a database not answering) counts as failed */
const CHECK_TIMEOUT_MS = 2000;

async function run(check: ReadinessCheck): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<string>((resolve) => (timer = setTimeout(resolve, CHECK_TIMEOUT_MS, `no answer within ${CHECK_TIMEOUT_MS} ms`)));
    return await Promise.race([Promise.resolve(check()), timeout]);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    clearTimeout(timer);
  }
}

export function serveHealth(app: FastifyInstance, checks: readonly ReadinessCheck[]): void {
  app.get('/healthz', async () => ({ status: 'alive' }));
  app.get('/readyz', async (_request, reply) => {
    const reasons = (await Promise.all(checks.map(run))).filter((r): r is string => r !== null);
    if (reasons.length === 0) return { status: 'ready' };
    return reply.code(503).send({ status: 'not ready', reason: reasons.join('; '), reasons });
  });
}
