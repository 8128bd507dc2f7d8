import type { MigrationSet } from '../src/platform/db/migrate.js';
import { incidentsMigrations } from './incidents/index.js';
import { clientsMigrations } from './clients/index.js';
import { ordersMigrations } from './orders/index.js';
import { migrationMigrations } from './migration/index.js';

/** Every schema and its migrations; each service migrates its own schema at start. */
export const schemaMigrations: Record<'incidents' | 'clients' | 'orders' | 'migration', MigrationSet> = {
  incidents: incidentsMigrations,
  clients: clientsMigrations,
  orders: ordersMigrations,
  migration: migrationMigrations,
};
