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
  /**
   * Where services reach the edge. A function: the edge starts last, so with port 0 (tests) its
   * address is known only after the others started. Default: PROXY_URL or the local PROXY_PORT.
   */
  edgeUrl?: () => string;
  /** Overrides the port from config (tests pass 0). */
  port?: number;
}
