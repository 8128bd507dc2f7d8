import { schemaMigrations } from '../../migrations/index.js';
import { serviceUrls } from '../platform/config/index.js';
import { startDatabaseService, type RunningService, type ServiceContext } from '../platform/service/index.js';
import { mergedOpenApi } from './http/merged-openapi.js';
import { passThroughRouter } from './http/pass-through.js';

const liveCheck = (url: string) => async () => {
  const response = await fetch(`${url}/health/live`, { signal: AbortSignal.timeout(1_500) });
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
    setup: ({ verify, logger }) => ({
      routers: [passThroughRouter([{ prefix: '/api/v1/incidents', target: urls.incidents, name: 'incidents' }], verify, logger)],
      openApi: mergedOpenApi([{ name: 'incidents', url: urls.incidents }], logger),
      readiness: { incidents: liveCheck(urls.incidents) },
    }),
  });
}
