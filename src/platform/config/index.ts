export { ConfigSchema, type Config } from './config.schema.js';
export { loadConfig, loadConfigOrExit, ConfigError, knownVariables } from './load-config.js';
export { configTable, withConfigTable } from './config-table.js';
export { serviceUrls, issuerUrl, keycloakBaseUrl, type ServiceUrls } from './urls.js';
