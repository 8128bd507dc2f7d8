export { createDatabase, databaseChecks, poolPerService, sharedEmbeddedDatabase, type Database, type DatabaseFactory, type DatabaseOptions } from './knex.js';
export { migrateSchema, rollbackSchema, type Migration, type MigrationSet } from './migrate.js';
export { likeLiteral, type Db } from './query.js';
export { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.js';
export { groupCommit } from './group-commit.js';
