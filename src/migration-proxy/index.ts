import { schemaMigrations } from '../../migrations/index.js';
import { serviceUrls } from '../platform/config/index.js';
import { startDatabaseService, type RunningService, type ServiceContext } from '../platform/service/index.js';
import { adminRoutes } from './http/admin.routes.js';
import { fastRecordReads } from './http/fast-read.js';
import { mergedOpenApi } from './http/merged-openapi.js';
import { createPassThrough, passThroughRouter } from './http/pass-through.js';
import { mergedListRoutes } from './http/merged-lists.routes.js';
import { recordRoutes } from './http/records.routes.js';
import { migrationProgress } from './migration/progress.js';
import { migrationKit } from './migration-kit.js';
import { routeModes } from './routing/route-modes.js';

// The upstream's own readiness: a service up but without its database cannot answer either.
const readyCheck = (url: string) => async () => {
  const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(1_800) });
  if (!response.ok) throw new Error(`answered ${response.status}`);
};

/**
 * Starts the public edge on /api/v1: token check, pass-through to the services behind it, and
 * the strangler fig for clients and orders (merged reads, migration on edit, back-fill).
 */
export function startMigrationProxy(context: ServiceContext): Promise<RunningService> {
  const { config } = context;
  if (config.NODE_ENV === 'production' && config.MIGRATION_CLIENT_SECRET === 'migration-dev-secret') {
    return Promise.reject(new Error('MIGRATION_CLIENT_SECRET: the development secret is refused when NODE_ENV=production'));
  }
  const urls = serviceUrls(config);
  return startDatabaseService(context, {
    name: 'migration-proxy',
    schema: 'migration',
    migrations: schemaMigrations.migration,
    port: config.PROXY_PORT,
    setup: async ({ api, database, verify, logger, metrics }) => {
      const db = database.primary;
      const kit = await migrationKit(config, db, logger, metrics);
      const { proxyMetrics, legacy, cache, services, migrator } = kit;
      const modes = routeModes(db, { refreshMs: config.ROUTE_MODE_REFRESH_MS, logger });
      await modes.start();
      migrationProgress(proxyMetrics, db, legacy);

      const passThrough = createPassThrough(logger);
      const fastReads = fastRecordReads({ verify, modes, migrator, upstreams: { client: urls.clients, order: urls.orders }, metrics, logger });
      mergedListRoutes({ api, db, modes, legacy, cache, services, legacyTimeoutMs: config.LEGACY_TIMEOUT_MS });
      const records = recordRoutes({
        verify,
        modes,
        legacy,
        cache,
        migrator,
        services,
        streamTo: { client: passThrough.to(urls.clients, 'clients'), order: passThrough.to(urls.orders, 'orders') },
      });
      const admin = adminRoutes(api, { db, modes, backfill: { db, legacy, migrator, logger, rate: config.BACKFILL_RATE }, logger });
      // Problems, intake and notifications live in the incidents service: one domain, one database schema.
      const incidents = passThroughRouter(
        [
          { prefix: '/api/v1/incidents', target: urls.incidents, name: 'incidents' },
          { prefix: '/api/v1/problems', target: urls.incidents, name: 'incidents' },
          { prefix: '/api/v1/admin/notifications', target: urls.incidents, name: 'incidents' },
          { prefix: '/api/v1/admin/inbox', target: urls.incidents, name: 'incidents' },
          { prefix: '/intake/esb', target: urls.incidents, name: 'incidents' },
          // Telegram and the SMS gateway send no token; the incidents service checks their secret and signature.
          { prefix: '/intake/telegram', target: urls.incidents, name: 'incidents', public: true },
          { prefix: '/intake/sms', target: urls.incidents, name: 'incidents', public: true },
        ],
        verify,
        passThrough,
      );
      return {
        routers: [records, incidents],
        fastPath: fastReads.handle,
        async stop() {
          await admin.stop();
          modes.stop();
          passThrough.close();
          await fastReads.close();
          await kit.close();
        },
        openApi: mergedOpenApi(
          [
            { name: 'incidents', url: urls.incidents },
            { name: 'clients', url: urls.clients },
            { name: 'orders', url: urls.orders },
          ],
          logger,
          api.routes,
        ),
        readiness: {
          incidents: readyCheck(urls.incidents),
          clients: readyCheck(urls.clients),
          orders: readyCheck(urls.orders),
          // Reported, not required: the edge answers without the cache, and from the cache without legacy.
          [`cache_${cache.kind}`]: { optional: true, check: cache.check },
          legacy_crm: { optional: true, check: async () => {
            if (legacy.state() === 'open') throw new Error('circuit breaker open');
          } },
        },
      };
    },
  });
}
