import { loadConfig, type Config } from '../../src/platform/config/index.js';

/** Config for in-process tests: every port picked by the OS, logs silent unless TEST_LOG_LEVEL says otherwise. */
export function testConfig(overrides: Record<string, string | undefined> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PROXY_PORT: '0',
    INCIDENTS_PORT: '0',
    CLIENTS_PORT: '0',
    ORDERS_PORT: '0',
    LEGACY_CRM_PORT: '0',
    DEV_IDP_PORT: '0',
    EMBEDDED_PG_PORT: '0',
    SHUTDOWN_TIMEOUT_MS: '1000',
    JWKS_COOLDOWN_MS: '0',
    ...overrides,
  });
}
