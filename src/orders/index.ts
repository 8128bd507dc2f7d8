import { schemaMigrations } from '../../migrations/index.js';
import { startDatabaseService, type RunningService, type ServiceContext } from '../platform/service/index.js';

/** Starts the orders service. Its API arrives with the strangler-fig issue; today it owns its schema and answers health. */
export function startOrders(context: ServiceContext): Promise<RunningService> {
  return startDatabaseService(context, {
    name: 'orders',
    schema: 'orders',
    migrations: schemaMigrations.orders,
    port: context.config.ORDERS_PORT,
  });
}
