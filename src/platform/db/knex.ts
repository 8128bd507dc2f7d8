import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import postgresDate from 'postgres-date';

// Postgres `bigint` (counts, sequences) as JS numbers: our values stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));
// `timestamptz` with postgres-date 2, the parser of pg-types 4 (pg 8 ships pg-types 2 with
// postgres-date 1): the same Dates in about half the time (360-530 against 700 ns a value on
// the bench's incidents); a page of 50 incidents holds up to 408.
// Its typings say `export default`, but the package is CommonJS with `module.exports = parse`:
// the default import is the function itself.
const parseTimestamp = postgresDate as unknown as (value: string) => Date | number | null;
pg.types.setTypeParser(pg.types.builtins.TIMESTAMPTZ, parseTimestamp);

export interface Database {
  /** Writes and reads that must see them. */
  primary: Knex;
  /** Read-only queries; the primary itself when no replica is configured. */
  replica: Knex;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  url: string;
  replicaUrl?: string;
  poolMax: number;
  /** Names the connections in pg_stat_activity. */
  applicationName: string;
}

function connect(url: string, options: DatabaseOptions): Knex {
  return knexFactory({
    client: 'pg',
    connection: { connectionString: url, application_name: options.applicationName },
    pool: { min: 0, max: options.poolMax },
    acquireConnectionTimeout: 10_000,
  });
}

/** A pool to the primary, and one to the replica when there is one. */
export function createDatabase(options: DatabaseOptions): Database {
  const primary = connect(options.url, options);
  const replica = options.replicaUrl ? connect(options.replicaUrl, options) : primary;
  return {
    primary,
    replica,
    async close() {
      await primary.destroy();
      if (replica !== primary) await replica.destroy();
    },
  };
}

/** How a service gets its pools; named so connections show who holds them. */
export type DatabaseFactory = (applicationName: string) => Database;

/** Real Postgres: every service opens pools of its own. */
export function poolPerService(options: Omit<DatabaseOptions, 'applicationName'>): DatabaseFactory {
  return (applicationName) => createDatabase({ ...options, applicationName });
}

/**
 * The embedded database has one session, so every service shares one pool of one connection;
 * services do not close it, its owner does after every service has stopped.
 */
export function sharedEmbeddedDatabase(url: string): { factory: DatabaseFactory; close: () => Promise<void> } {
  const shared = createDatabase({ url, poolMax: 1, applicationName: 'figdesk' });
  return { factory: () => ({ ...shared, close: async () => {} }), close: () => shared.close() };
}

/** Readiness checks for each pool. */
export function databaseChecks(database: Database): Record<string, () => Promise<unknown>> {
  return {
    postgres: () => database.primary.raw('select 1'),
    ...(database.replica !== database.primary ? { postgres_replica: () => database.replica.raw('select 1') } : {}),
  };
}
