import type { MigrationSet } from '../../src/platform/db/migrate.js';
import * as createLedger from './20261123190000_create_ledger.js';

/** Schema `migration`: the migration proxy's ledger, route modes and back-fill progress. */
export const migrationMigrations: MigrationSet = {
  '20261123190000_create_ledger': createLedger,
};
