import type { MigrationSet } from '../../src/platform/db/migrate.js';

/** Schema `migration`: its tables arrive with the strangler-fig issue; the schema and its knex_migrations exist from the start. */
export const migrationMigrations: MigrationSet = {};
