import { startClients } from './clients/index.js';
import { startIncidents } from './incidents/index.js';
import { startMigrationProxy } from './migration-proxy/index.js';
import { startOrders } from './orders/index.js';
import { startLegacyCrm } from '../tools/legacy-crm/index.js';
import { loadConfigOrExit } from './platform/config/index.js';
import { createLogger } from './platform/logging/index.js';
import { poolPerService } from './platform/db/index.js';
import type { RunningService, ServiceContext } from './platform/service/index.js';

const services: Record<string, (context: ServiceContext) => Promise<RunningService>> = {
  'migration-proxy': startMigrationProxy,
  incidents: startIncidents,
  clients: startClients,
  orders: startOrders,
  // The stand-in for the legacy CRM, for environments without the customer's real one.
  'legacy-crm': startLegacyCrm,
};
const needsDatabase = (name: string) => name !== 'legacy-crm';

/** One service per process (the production shape): `node dist/src/service.js incidents`. */
async function main(): Promise<void> {
  const name = process.argv[2] ?? '';
  const start = services[name];
  if (!start) {
    process.stderr.write(`usage: service.js <${Object.keys(services).join('|')}>\n`);
    process.exit(2);
  }
  const config = loadConfigOrExit();
  if (needsDatabase(name) && !config.DATABASE_URL) {
    process.stderr.write('DATABASE_URL: required to run a single service (npm start runs the embedded database for the whole system)\n');
    process.exit(2);
  }
  const logger = createLogger(config.LOG_LEVEL, name);
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));
  const database = poolPerService({ url: config.DATABASE_URL ?? '', replicaUrl: config.DATABASE_REPLICA_URL, poolMax: config.DATABASE_POOL_MAX });
  const service = await start({ config, logger, database });
  const stop = () => void service.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`service failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
