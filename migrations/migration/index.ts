import type { MigrationSet } from '../../src/platform/db/migrate.js';
import * as createLedger from './20261123190000_create_ledger.js';
import * as backfillFailures from './20261123200000_backfill_failures.js';

/** Schema `migration`: the migration proxy's ledger, route modes and back-fill progress. */
export const migrationMigrations: MigrationSet = {
  '20261123190000_create_ledger': createLedger,
  '20261123200000_backfill_failures': backfillFailures,
};
