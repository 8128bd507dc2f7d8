import { loadConfigOrExit } from './platform/config/index.js';
import { createLogger } from './platform/logging/index.js';
import { startSystem } from './system.js';
import { describeSystem } from './startup-banner.js';

/** `npm start`: the whole system in one process on embedded defaults. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.LOG_LEVEL);
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));

  const system = await startSystem(config, logger);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    void system.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.stdout.write(describeSystem(system));
}

main().catch((error: unknown) => {
  process.stderr.write(`figdesk failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
