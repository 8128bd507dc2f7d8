import type { Config } from './config.schema.js';

export interface ServiceUrls {
  edge: string;
  incidents: string;
  clients: string;
  orders: string;
  legacyCrm: string;
}

/** Where each upstream lives: explicit URLs win, else the local port of the all-in-one process. */
export function serviceUrls(config: Config): ServiceUrls {
  const local = (portNumber: number) => `http://127.0.0.1:${portNumber}`;
  return {
    edge: config.PROXY_URL ?? local(config.PROXY_PORT),
    incidents: config.INCIDENTS_URL ?? local(config.INCIDENTS_PORT),
    clients: config.CLIENTS_URL ?? local(config.CLIENTS_PORT),
    orders: config.ORDERS_URL ?? local(config.ORDERS_PORT),
    legacyCrm: config.LEGACY_CRM_URL ?? local(config.LEGACY_CRM_PORT),
  };
}

/** The Keycloak base URL services talk to: the configured one or the development identity provider. */
export function keycloakBaseUrl(config: Config): string {
  return (config.KEYCLOAK_URL ?? `http://127.0.0.1:${config.DEV_IDP_PORT}`).replace(/\/$/, '');
}

/** The issuer tokens must carry. */
export function issuerUrl(config: Config): string {
  return config.KEYCLOAK_ISSUER ?? `${keycloakBaseUrl(config)}/realms/${config.KEYCLOAK_REALM}`;
}
