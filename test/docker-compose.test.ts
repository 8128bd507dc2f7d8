import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { knownVariables, loadConfig } from '../src/platform/config/index.js';

// Docker is not available where the suite runs, so the file is checked, not started.
const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
  services: Record<string, { image?: string; command?: string[]; environment?: Record<string, string>; volumes?: string[]; depends_on?: unknown }>;
};
const figdeskServices = Object.entries(compose.services).filter(([, service]) => service.image === 'figdesk:latest');

describe('docker-compose.yml', () => {
  it('describes the production shape: Postgres primary and replica, Redis, Keycloak 26 importing the realm', () => {
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['postgres', 'postgres-replica', 'redis', 'keycloak']));
    expect(compose.services['keycloak']?.command).toEqual(['start-dev', '--import-realm']);
    expect(compose.services['keycloak']?.volumes).toContain('./keycloak/helpdesk-realm.json:/opt/keycloak/data/import/helpdesk-realm.json:ro');
    expect(String((compose.services['keycloak'] as { image?: string }).image)).toMatch(/keycloak:26/);
    expect(compose.services['postgres-replica']?.command?.join(' ')).toContain('pg_basebackup');
  });

  it('runs every figdesk service from the one image with its own command', () => {
    expect(figdeskServices.map(([name]) => name).sort()).toEqual(['clients', 'incidents', 'legacy-crm', 'migration-proxy', 'orders']);
    for (const [name, service] of figdeskServices) expect(service.command).toEqual(['node', 'dist/src/service.js', name]);
  });

  it.each(figdeskServices)('%s: every variable is one the config schema knows, and the whole set parses', (_name, service) => {
    const environment = service.environment ?? {};
    const unknown = Object.keys(environment).filter((key) => !knownVariables().includes(key));
    expect(unknown).toEqual([]);
    expect(() => loadConfig(environment)).not.toThrow();
  });

  it('points the services at the database replica and at Keycloak’s JWKS inside the network', () => {
    const incidents = loadConfig(compose.services['incidents']?.environment ?? {});
    expect(incidents).toMatchObject({ NODE_ENV: 'production', KEYCLOAK_URL: 'http://keycloak:8080', KEYCLOAK_ISSUER: 'http://localhost:8180/realms/helpdesk' });
    expect(incidents.DATABASE_REPLICA_URL).toContain('postgres-replica');
  });
});
