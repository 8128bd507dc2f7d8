import type { Config } from '../../src/platform/config/index.js';
import { createLogger } from '../../src/platform/logging/index.js';
import { startSystem, type RunningSystem } from '../../src/system.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { startKeycloakStandIn, type KeycloakStandIn } from './keycloak-tokens.js';
import { testConfig } from './test-config.js';

export interface TestSystem {
  system: RunningSystem;
  database: TestDatabase;
  keycloak: KeycloakStandIn;
  config: Config;
  /** Base URL of the public edge. */
  edge: string;
  stop(): Promise<void>;
}

/**
 * The whole system on free ports, real HTTP between services. Tokens come from a local
 * Keycloak stand-in, or with `devIdp` from the development identity provider the system starts.
 */
export async function startTestSystem(overrides: Record<string, string> = {}, options: { clock?: () => Date; devIdp?: boolean } = {}): Promise<TestSystem> {
  const keycloak = await startKeycloakStandIn();
  let config: Config;
  try {
    config = testConfig({ KEYCLOAK_URL: options.devIdp ? undefined : keycloak.baseUrl, REALM_FILE: 'keycloak/helpdesk-realm.json', ...overrides });
  } catch (error) {
    // A bad override must fail the test file, not leave a server behind that keeps jest alive.
    await keycloak.close();
    throw error;
  }
  const database = await createTestDatabase();
  const logger = createLogger(config.LOG_LEVEL);
  try {
    const system = await startSystem(config, logger, { database: database.factory, clock: options.clock });
    return {
      system,
      database,
      keycloak,
      config: system.config,
      edge: system.services.proxy.url,
      async stop() {
        await system.stop();
        await keycloak.close();
        await database.close();
      },
    };
  } catch (error) {
    await keycloak.close();
    await database.close();
    throw error;
  }
}
