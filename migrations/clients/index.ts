import type { MigrationSet } from '../../src/platform/db/migrate.js';
import * as createClients from './20261123180000_create_clients.js';

export const clientsMigrations: MigrationSet = {
  '20261123180000_create_clients': createClients,
};
