import { serve, type RunningService } from '../../src/platform/service/index.js';
import type { Config } from '../../src/platform/config/index.js';
import type { Logger } from '../../src/platform/logging/index.js';

/**
 * The stand-in for the customer's legacy CRM. Today it only answers health; its customers and
 * orders API (its own shapes, ids, latency and faults) arrives with the strangler-fig issue.
 */
export function startLegacyCrm(options: { config: Config; logger: Logger; port?: number }): Promise<RunningService> {
  return serve({
    name: 'legacy-crm',
    config: options.config,
    port: options.port ?? options.config.LEGACY_CRM_PORT,
    logger: options.logger.child({ service: 'legacy-crm' }),
    readiness: {},
  });
}
