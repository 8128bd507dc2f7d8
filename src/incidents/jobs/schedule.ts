import type { Logger } from '../../platform/logging/index.js';
import type { IncidentsDeps } from '../domain/deps.js';
import { closeResolvedIncidents, markSlaBreaches } from '../domain/jobs.js';

/**
 * Runs the SLA breach marker and the auto-close job every `intervalMs` (0: never). A run
 * never overlaps the previous one; stop() waits for the run in progress.
 */
export function startIncidentJobs(deps: IncidentsDeps, intervalMs: number, logger: Logger) {
  if (intervalMs <= 0) return { stop: async () => {} };
  let running: Promise<void> | undefined;
  const run = async () => {
    try {
      const breached = await markSlaBreaches(deps);
      const closed = await closeResolvedIncidents(deps);
      if (breached || closed) logger.info({ breached, closed }, 'incident jobs ran');
    } catch (error) {
      logger.error({ err: error }, 'incident jobs failed; retrying at the next interval');
    }
  };
  const timer = setInterval(() => {
    running ??= run().finally(() => {
      running = undefined;
    });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
