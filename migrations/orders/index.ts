import type { MigrationSet } from '../../src/platform/db/migrate.js';

/** Schema `orders`: its tables arrive with the strangler-fig issue; the schema and its knex_migrations exist from the start. */
export const ordersMigrations: MigrationSet = {};
