import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';

// The one source of roles, clients and demo users for Keycloak (docker-compose imports it)
// and for the development identity provider.
const realm = JSON.parse(readFileSync('keycloak/helpdesk-realm.json', 'utf8'));
const client = (id: string) => realm.clients.find((entry: { clientId: string }) => entry.clientId === id);
const user = (name: string) => realm.users.find((entry: { username: string }) => entry.username === name);

describe('the realm export keycloak/helpdesk-realm.json', () => {
  it('is realm helpdesk with its five realm roles', () => {
    expect(realm).toMatchObject({ realm: 'helpdesk', enabled: true });
    expect(realm.roles.realm.map((role: { name: string }) => role.name).sort()).toEqual(['admin', 'agent', 'intake', 'manager', 'migrator']);
  });

  it('has the web client public with the standard flow and PKCE S256, redirecting to the web UI', () => {
    expect(client('helpdesk-web')).toMatchObject({ publicClient: true, standardFlowEnabled: true, directAccessGrantsEnabled: false, attributes: { 'pkce.code.challenge.method': 'S256' } });
    expect(client('helpdesk-web').redirectUris).toContain('http://localhost:8080/*');
  });

  it('has the CLI client public with direct access grants, and the intake client confidential with a service account', () => {
    expect(client('helpdesk-cli')).toMatchObject({ publicClient: true, directAccessGrantsEnabled: true });
    expect(client('helpdesk-intake')).toMatchObject({ publicClient: false, serviceAccountsEnabled: true, secret: expect.any(String) });
    expect(user('service-account-helpdesk-intake')).toMatchObject({ serviceAccountClientId: 'helpdesk-intake', realmRoles: ['intake'] });
  });

  it('has the migration client configured as the intake client, its service account with role agent to write clients and orders', () => {
    const identity = ({ clientId: _id, name: _name, description: _description, secret: _secret, ...rest }: Record<string, unknown>) => rest;
    expect(identity(client('helpdesk-migration'))).toEqual(identity(client('helpdesk-intake')));
    expect(client('helpdesk-migration')).toMatchObject({ secret: 'migration-dev-secret', description: expect.stringContaining('DEV-ONLY') });
    expect(user('service-account-helpdesk-migration')).toEqual({ username: 'service-account-helpdesk-migration', enabled: true, serviceAccountClientId: 'helpdesk-migration', realmRoles: ['agent', 'migrator'] });
  });

  it('gives every confidential client with a service account exactly one service-account user', () => {
    const machines = realm.clients.filter((entry: { serviceAccountsEnabled: boolean }) => entry.serviceAccountsEnabled).map((entry: { clientId: string }) => entry.clientId);
    expect(machines).toEqual(['helpdesk-intake', 'helpdesk-migration']);
    for (const clientId of machines) {
      expect(realm.users.filter((entry: { serviceAccountClientId?: string }) => entry.serviceAccountClientId === clientId)).toEqual([expect.objectContaining({ username: `service-account-${clientId}` })]);
    }
  });

  it.each([
    ['agent1', 'agent'],
    ['manager1', 'manager'],
    ['admin1', 'admin'],
  ])('demo user %s has role %s, a password, and the email and names Keycloak 24+ needs for the password grant', (name, role) => {
    const demo = user(name);
    expect(demo).toMatchObject({ enabled: true, emailVerified: true, email: expect.stringContaining('@'), firstName: expect.any(String), lastName: expect.any(String) });
    expect(demo.realmRoles).toContain(role);
    expect(demo.credentials).toEqual([expect.objectContaining({ type: 'password', value: name, temporary: false })]);
  });

  it('adds audience helpdesk-api to every client’s access tokens', () => {
    for (const entry of realm.clients) {
      const mapper = entry.protocolMappers?.find((candidate: { protocolMapper: string }) => candidate.protocolMapper === 'oidc-audience-mapper');
      expect({ client: entry.clientId, audience: mapper?.config['included.custom.audience'] }).toEqual({ client: entry.clientId, audience: 'helpdesk-api' });
    }
  });
});
