import { schemaMigrations } from '../../migrations/index.js';
import { startDatabaseService, type RunningService, type ServiceContext } from '../platform/service/index.js';
import { incidentRoutes } from './http/incidents.routes.js';

/** Starts the incidents service: migrates schema `incidents`, then serves its API. */
export function startIncidents(context: ServiceContext): Promise<RunningService> {
  return startDatabaseService(context, {
    name: 'incidents',
    schema: 'incidents',
    migrations: schemaMigrations.incidents,
    port: context.config.INCIDENTS_PORT,
    setup: ({ api, database }) => incidentRoutes(api, database),
  });
}
