import type { Knex } from 'knex';

/** A knex migration: `up` and `down` both required, so every change can be rolled back. */
export interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/** A schema's migrations, by file name in time order. */
export type MigrationSet = Record<string, Migration>;

/**
 * Feeds knex an explicit list instead of a folder scan, so the same migrations load under
 * tsx, the compiled build and jest without a file-system loader.
 */
class ListedMigrations implements Knex.MigrationSource<string> {
  constructor(private readonly migrations: MigrationSet) {}
  async getMigrations() {
    return Object.keys(this.migrations).sort();
  }
  getMigrationName(name: string) {
    return name;
  }
  async getMigration(name: string) {
    return this.migrations[name] as Migration;
  }
}

function config(schema: string, migrations: MigrationSet): Knex.MigratorConfig {
  return { migrationSource: new ListedMigrations(migrations), schemaName: schema, tableName: 'knex_migrations' };
}

/** Brings a service's schema up to date; knex's lock table makes concurrent starts safe. */
export async function migrateSchema(knex: Knex, schema: string, migrations: MigrationSet): Promise<string[]> {
  await knex.raw('create schema if not exists ??', [schema]);
  const [, applied] = (await knex.migrate.latest(config(schema, migrations))) as [number, string[]];
  return applied;
}

/** Undoes a schema's last batch of migrations, or every batch with `all` (tests of `down`). */
export async function rollbackSchema(knex: Knex, schema: string, migrations: MigrationSet, options: { all?: boolean } = {}): Promise<void> {
  await knex.migrate.rollback(config(schema, migrations), options.all ?? false);
}
