import { schemaMigrations } from '../../migrations/index.js';
import { startDatabaseService, type RunningService, type ServiceContext } from '../platform/service/index.js';

/** Starts the clients service. Its API arrives with the strangler-fig issue; today it owns its schema and answers health. */
export function startClients(context: ServiceContext): Promise<RunningService> {
  return startDatabaseService(context, {
    name: 'clients',
    schema: 'clients',
    migrations: schemaMigrations.clients,
    port: context.config.CLIENTS_PORT,
  });
}
