import type { Config } from '../config/index.js';
import type { DatabaseFactory } from '../db/index.js';
import type { Logger } from '../logging/index.js';

/** What every service gets at start: the parsed config, a logger, and how to reach Postgres. */
export interface ServiceContext {
  config: Config;
  logger: Logger;
  /** Opens the service's pools (a pool per service on real Postgres; the shared one when embedded). */
  database: DatabaseFactory;
  /** The time source of domain rules (SLA clocks, jobs); tests control it. Default: the system clock. */
  clock?: () => Date;
  /** Overrides the port from config (tests pass 0). */
  port?: number;
}
