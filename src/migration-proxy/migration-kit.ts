import { serviceTokenFromConfig } from '../platform/auth/index.js';
import { serviceUrls, type Config } from '../platform/config/index.js';
import type { Db } from '../platform/db/index.js';
import type { Logger } from '../platform/logging/index.js';
import type { Metrics } from '../platform/metrics/index.js';
import type { LegacyCache } from './cache/legacy-cache.js';
import { createMemoryLegacyCache } from './cache/memory-legacy-cache.js';
import { createRedisLegacyCache } from './cache/redis-legacy-cache.js';
import { resilientCache } from './cache/resilient-cache.js';
import { httpLegacyCrm } from './legacy/legacy-crm.adapter.js';
import { legacyGateway } from './legacy/legacy-gateway.js';
import { createMigrator } from './migration/migrator.js';
import { createProxyMetrics } from './proxy-metrics.js';
import { serviceClient } from './upstream/service-client.js';

/** Redis when configured, else a cache in this process (the embedded default). */
async function legacyCacheFrom(config: Config): Promise<LegacyCache> {
  const options = { ttlMs: config.LEGACY_CACHE_TTL, namespace: `${config.REDIS_KEY_PREFIX}:legacy` };
  return config.REDIS_URL ? createRedisLegacyCache(config.REDIS_URL, options) : createMemoryLegacyCache(options);
}

/**
 * What migrating needs, built from config the same way for the edge and for the back-fill
 * command: legacy behind its timeout and breaker, the cache, our services, the migrate function.
 */
export async function migrationKit(config: Config, db: Db, logger: Logger, metrics: Metrics) {
  const urls = serviceUrls(config);
  const proxyMetrics = createProxyMetrics(metrics);
  const legacy = legacyGateway(
    httpLegacyCrm(urls.legacyCrm),
    { timeoutMs: config.LEGACY_TIMEOUT_MS, errorPercent: config.LEGACY_BREAKER_ERROR_PERCENT, minCalls: config.LEGACY_BREAKER_MIN_CALLS, resetMs: config.LEGACY_BREAKER_RESET_MS },
    proxyMetrics,
    logger,
  );
  // Rewritten at half its life at the latest, so a record shown often never drops out of the cache.
  const cache = resilientCache(await legacyCacheFrom(config), proxyMetrics, logger, { rewriteAfterMs: Math.floor(config.LEGACY_CACHE_TTL / 2) });
  const services = { client: serviceClient('clients', urls.clients), order: serviceClient('orders', urls.orders) };
  const tokens = serviceTokenFromConfig(config);
  const migrator = createMigrator({ db, legacy, cache, services, serviceToken: () => tokens.token(), metrics: proxyMetrics, logger, leaseMs: config.MIGRATION_CLAIM_LEASE_MS });
  return {
    urls,
    proxyMetrics,
    legacy,
    cache,
    services,
    migrator,
    async close() {
      await Promise.allSettled([legacy.close(), cache.close(), services.client.close(), services.order.close()]);
    },
  };
}
