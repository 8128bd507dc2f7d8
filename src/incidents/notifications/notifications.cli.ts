// npm run notifications: the notification worker as its own process, for installations that
// scale it apart from the incidents service (set NOTIFICATIONS_WORKER=false there). Needs
// DATABASE_URL; sends through the channels configured in its environment.
import { Registry } from 'prom-client';
import { schemaMigrations } from '../../../migrations/index.js';
import { loadConfigOrExit } from '../../platform/config/index.js';
import { createDatabase, migrateSchema } from '../../platform/db/index.js';
import { Lifecycle } from '../../platform/lifecycle/index.js';
import { createLogger } from '../../platform/logging/index.js';
import { notificationChannels, startNotifications } from '../channels.js';
import { incidentsDeps } from '../index.js';
import { createNotificationMetrics } from './notifications-metrics.js';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  if (!config.DATABASE_URL) {
    process.stderr.write('DATABASE_URL: required (the worker reads the queue the incidents service writes)\n');
    process.exit(2);
  }
  const logger = createLogger(config.LOG_LEVEL, 'notifications');
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));
  const lifecycle = new Lifecycle(logger);
  lifecycle.stopOnSignals();
  const database = await lifecycle.start('database', async () => createDatabase({ url: config.DATABASE_URL as string, replicaUrl: config.DATABASE_REPLICA_URL, poolMax: config.DATABASE_POOL_MAX, applicationName: 'figdesk-notifications' }), (db) => db.close());
  // The worker may start before the incidents service: the queue table must exist either way.
  await migrateSchema(database.primary, 'incidents', schemaMigrations.incidents);
  const registry = new Registry();
  const deps = incidentsDeps(config, database, registry);
  const channels = Object.keys(notificationChannels(config));
  if (!channels.length) logger.warn('no channel is configured (TELEGRAM_BOT_TOKEN, TWILIO_ACCOUNT_SID): nothing will be sent');
  await lifecycle.start('notification worker', async () => startNotifications(config, deps, createNotificationMetrics(registry, () => database.replica), logger), (worker) => worker.stop());
  logger.info({ channels }, 'notification worker running');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
