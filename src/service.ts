import { startLegacyCrm } from '../tools/legacy-crm/index.js';
import { loadConfigOrExit } from './platform/config/index.js';
import { poolPerService } from './platform/db/index.js';
import { Lifecycle } from './platform/lifecycle/index.js';
import { createLogger } from './platform/logging/index.js';
import { databaseServices } from './services.js';

const names = [...Object.keys(databaseServices), 'legacy-crm'];

/** One service per process (the production shape): `node dist/src/service.js incidents`. */
async function main(): Promise<void> {
  const name = process.argv[2] ?? '';
  if (!names.includes(name)) {
    process.stderr.write(`usage: service.js <${names.join('|')}>\n`);
    process.exit(2);
  }
  const config = loadConfigOrExit();
  const logger = createLogger(config.LOG_LEVEL, name);
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));
  const lifecycle = new Lifecycle(logger);
  lifecycle.stopOnSignals();

  if (name === 'legacy-crm') {
    // The stand-in for the legacy CRM, for environments without the customer's real one.
    await lifecycle.start(name, () => startLegacyCrm({ config, logger }), (service) => service.stop());
    return;
  }
  if (!config.DATABASE_URL) {
    process.stderr.write('DATABASE_URL: required to run a single service (npm start runs the embedded database for the whole system)\n');
    process.exit(2);
  }
  const database = poolPerService({ url: config.DATABASE_URL, replicaUrl: config.DATABASE_REPLICA_URL, poolMax: config.DATABASE_POOL_MAX });
  const start = databaseServices[name as keyof typeof databaseServices];
  await lifecycle.start(name, () => start({ config, logger, database }), (service) => service.stop());
}

main().catch((error: unknown) => {
  process.stderr.write(`service failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
