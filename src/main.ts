import { loadConfigOrExit } from './platform/config/index.js';
import { createLogger } from './platform/logging/index.js';
import { describeSystem } from './startup-banner.js';
import { startSystem } from './system.js';

/** `npm start`: the whole system in one process on embedded defaults. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.LOG_LEVEL);
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));
  const system = await startSystem(config, logger);
  system.lifecycle.stopOnSignals();
  process.stdout.write(describeSystem(system));
}

main().catch((error: unknown) => {
  process.stderr.write(`figdesk failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
