import type { MigrationSet } from '../../src/platform/db/migrate.js';
import * as createOrders from './20261123180000_create_orders.js';

export const ordersMigrations: MigrationSet = {
  '20261123180000_create_orders': createOrders,
};
