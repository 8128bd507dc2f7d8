import { serve, type RunningService } from '../../src/platform/service/index.js';
import type { Config } from '../../src/platform/config/index.js';
import type { Logger } from '../../src/platform/logging/index.js';
import { CrmData } from './data.js';
import { Faults, type FaultSettings } from './faults.js';
import { legacyCrmRouter } from './routes.js';
import { RequestStats } from './stats.js';

export type { FaultSettings } from './faults.js';
export type { LegacyCustomer, LegacyOrder, OrderState } from './records.js';
export type { LegacyPage } from './data.js';
export type { LegacyError, LegacyErrorCode } from './legacy-error.js';
export type { RequestCounts, RouteKind } from './stats.js';

/** The simulator's size and its initial faults. */
export interface CrmSettings extends FaultSettings {
  customers: number;
  orders: number;
}

/** Settings from the LEGACY_CRM_* config, with `overrides` (tests) taking precedence. */
export function crmSettingsFrom(config: Config, overrides: Partial<CrmSettings> = {}): CrmSettings {
  return {
    customers: config.LEGACY_CRM_CUSTOMERS,
    orders: config.LEGACY_CRM_ORDERS,
    latencyMs: config.LEGACY_CRM_LATENCY_MS,
    jitterMs: config.LEGACY_CRM_JITTER_MS,
    errorRate: config.LEGACY_CRM_ERROR_RATE,
    hang: config.LEGACY_CRM_HANG,
    ...overrides,
  };
}

/**
 * The stand-in for the customer's legacy CRM: seeded customers and orders under /crm in the
 * legacy system's own shapes, with latency, errors and hangs that can be changed at run time.
 *
 * It has no authentication, admin endpoints included. A real CRM would want an API key from
 * the proxy; the simulator is for development and tests and binds to config.HOST, which is
 * loopback unless an operator says otherwise.
 */
export async function startLegacyCrm(options: { config: Config; logger: Logger; port?: number; crm?: Partial<CrmSettings> }): Promise<RunningService> {
  const settings = crmSettingsFrom(options.config, options.crm);
  const logger = options.logger.child({ service: 'legacy-crm' });
  const data = new CrmData({ customers: settings.customers, orders: settings.orders });
  const faults = new Faults({ latencyMs: settings.latencyMs, jitterMs: settings.jitterMs, errorRate: settings.errorRate, hang: settings.hang });
  const running = await serve({
    name: 'legacy-crm',
    config: options.config,
    port: options.port ?? options.config.LEGACY_CRM_PORT,
    logger,
    readiness: {},
    routers: [legacyCrmRouter({ data, faults, stats: new RequestStats(), logger })],
  });
  return {
    ...running,
    async stop() {
      // A hung request never finishes by itself: without this the server would wait out
      // SHUTDOWN_TIMEOUT_MS before closing it.
      faults.shutdown();
      await running.stop();
    },
  };
}
