import { schemaMigrations } from '../../migrations/index.js';
import { startDatabaseService, type RunningService, type ServiceContext } from '../platform/service/index.js';
import { orderRoutes } from './http/orders.routes.js';

/** Starts the orders service: migrates schema `orders` and serves our orders. */
export function startOrders(context: ServiceContext): Promise<RunningService> {
  return startDatabaseService(context, {
    name: 'orders',
    schema: 'orders',
    migrations: schemaMigrations.orders,
    port: context.config.ORDERS_PORT,
    setup: ({ api, database }) => {
      orderRoutes(api, database, context.clock ?? (() => new Date()));
      return {};
    },
  });
}
