import { schemaMigrations } from '../../migrations/index.js';
import { startDatabaseService, type RunningService, type ServiceContext } from '../platform/service/index.js';
import { clientRoutes } from './http/clients.routes.js';

/** Starts the clients service: migrates schema `clients` and serves our clients. */
export function startClients(context: ServiceContext): Promise<RunningService> {
  return startDatabaseService(context, {
    name: 'clients',
    schema: 'clients',
    migrations: schemaMigrations.clients,
    port: context.config.CLIENTS_PORT,
    setup: ({ api, database }) => {
      clientRoutes(api, database, context.clock ?? (() => new Date()));
      return {};
    },
  });
}
