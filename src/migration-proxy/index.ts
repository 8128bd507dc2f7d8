import { schemaMigrations } from '../../migrations/index.js';
import { serviceUrls } from '../platform/config/index.js';
import { startDatabaseService, type RunningService, type ServiceContext } from '../platform/service/index.js';
import { mergedOpenApi } from './http/merged-openapi.js';
import { passThroughRouter } from './http/pass-through.js';

// The upstream's own readiness: a service up but without its database cannot answer either.
const readyCheck = (url: string) => async () => {
  const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(1_800) });
  if (!response.ok) throw new Error(`answered ${response.status}`);
};

/** Starts the public edge on /api/v1: token check, routing to the services behind it. */
export function startMigrationProxy(context: ServiceContext): Promise<RunningService> {
  const urls = serviceUrls(context.config);
  return startDatabaseService(context, {
    name: 'migration-proxy',
    schema: 'migration',
    migrations: schemaMigrations.migration,
    port: context.config.PROXY_PORT,
    setup: ({ verify, logger }) => {
      // Problems live in the incidents service: the two are one domain with one database schema.
      const passThrough = passThroughRouter(
        [
          { prefix: '/api/v1/incidents', target: urls.incidents, name: 'incidents' },
          { prefix: '/api/v1/problems', target: urls.incidents, name: 'incidents' },
          // Until the merge with the legacy CRM lands, the edge serves our own clients and orders
          // only (what route mode new-only will do).
          { prefix: '/api/v1/clients', target: urls.clients, name: 'clients' },
          { prefix: '/api/v1/orders', target: urls.orders, name: 'orders' },
        ],
        verify,
        logger,
      );
      return {
        routers: [passThrough.router],
        stop: passThrough.close,
      openApi: mergedOpenApi(
        [
          { name: 'incidents', url: urls.incidents },
          { name: 'clients', url: urls.clients },
          { name: 'orders', url: urls.orders },
        ],
        logger,
      ),
      readiness: { incidents: readyCheck(urls.incidents), clients: readyCheck(urls.clients), orders: readyCheck(urls.orders) },
      };
    },
  });
}
