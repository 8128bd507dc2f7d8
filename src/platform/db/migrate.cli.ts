// npm run migrate: brings every schema up to date (or, with `-- --rollback <schema>`, undoes its last batch).
// Against DATABASE_URL, or the embedded database under DATA_DIR when it is unset.
import { join } from 'node:path';
import { schemaMigrations } from '../../../migrations/index.js';
import { loadConfigOrExit } from '../config/index.js';
import { createLogger } from '../logging/index.js';
import { createDatabase, migrateSchema, rollbackSchema, sharedEmbeddedDatabase, startEmbeddedPostgres, type Database } from './index.js';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.LOG_LEVEL, 'migrate');
  const embedded = config.DATABASE_URL ? undefined : await startEmbeddedPostgres({ dataDir: join(config.DATA_DIR, 'pglite'), host: '127.0.0.1', port: 0 });
  const shared = embedded ? sharedEmbeddedDatabase(embedded.url) : undefined;
  const database: Database = shared ? shared.factory('figdesk-migrate') : createDatabase({ url: config.DATABASE_URL as string, poolMax: 1, applicationName: 'figdesk-migrate' });
  try {
    const rollback = process.argv.indexOf('--rollback');
    if (rollback >= 0) {
      const schema = process.argv[rollback + 1] as keyof typeof schemaMigrations;
      if (!(schema in schemaMigrations)) throw new Error(`--rollback needs one of: ${Object.keys(schemaMigrations).join(', ')}`);
      await rollbackSchema(database.primary, schema, schemaMigrations[schema]);
      logger.info({ schema }, 'rolled back');
      return;
    }
    for (const [schema, migrations] of Object.entries(schemaMigrations)) {
      const applied = await migrateSchema(database.primary, schema, migrations);
      logger.info({ schema, applied }, applied.length ? 'migrated' : 'up to date');
    }
  } finally {
    await (shared ? shared.close() : database.close());
    await embedded?.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
