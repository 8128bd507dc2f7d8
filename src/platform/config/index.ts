export { ConfigSchema, type Config } from './config.schema.js';
export { loadConfig, ConfigError, knownVariables } from './load-config.js';
export { serviceUrls, issuerUrl, keycloakBaseUrl, type ServiceUrls } from './urls.js';
