import { startClients } from './clients/index.js';
import { startIncidents } from './incidents/index.js';
import { startMigrationProxy } from './migration-proxy/index.js';
import { startOrders } from './orders/index.js';
import type { RunningService, ServiceContext } from './platform/service/index.js';

/** The services that own a schema, by the name `service.js` and docker-compose use. */
export const databaseServices = {
  incidents: startIncidents,
  clients: startClients,
  orders: startOrders,
  'migration-proxy': startMigrationProxy,
} satisfies Record<string, (context: ServiceContext) => Promise<RunningService>>;
