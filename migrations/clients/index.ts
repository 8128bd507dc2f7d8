import type { MigrationSet } from '../../src/platform/db/migrate.js';
import * as createClients from './20261123180000_create_clients.js';
import * as phoneSearch from './20261123220000_phone_search.js';

export const clientsMigrations: MigrationSet = {
  '20261123180000_create_clients': createClients,
  '20261123220000_phone_search': phoneSearch,
};
