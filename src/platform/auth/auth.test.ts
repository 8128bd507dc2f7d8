import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { startKeycloakStandIn, type KeycloakStandIn } from '../../../test/support/keycloak-tokens.js';
import { testConfig } from '../../../test/support/test-config.js';
import { createApi, createApp } from '../http/index.js';
import { createLogger } from '../logging/index.js';
import { createMetrics } from '../metrics/index.js';
import { verifierFromConfig } from './index.js';

let keycloak: KeycloakStandIn;
let app: ReturnType<typeof createApp>['app'];

/** A service with one route for agents, wired exactly as every service is. */
function probeApp(keycloakUrl: string, overrides: Record<string, string> = {}) {
  const api = createApi(verifierFromConfig(testConfig({ KEYCLOAK_URL: keycloakUrl, ...overrides })));
  api.add({ method: 'get', path: '/probe', summary: 'probe', access: ['agent'], responses: { 200: { description: 'ok' } } }, ({ user }, _req, res) => {
    res.json({ id: user.id, username: user.username, roles: [...user.roles].sort() });
  });
  return createApp({ logger: createLogger('silent'), metrics: createMetrics('probe'), readiness: {}, routers: [api.router] }).app;
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

beforeAll(async () => {
  keycloak = await startKeycloakStandIn();
  app = probeApp(keycloak.baseUrl);
});
afterAll(() => keycloak?.close());

describe('bearer token verification against the realm JWKS', () => {
  it('a valid agent token → 200 with the caller from the token', async () => {
    const response = await request(app).get('/probe').set('Authorization', `Bearer ${await keycloak.sign({ roles: ['agent'], username: 'agent1' })}`).expect(200);
    expect(response.body).toMatchObject({ username: 'agent1', roles: ['agent'] });
  });

  it('roles of the API client in resource_access count as well as realm roles', async () => {
    const token = await keycloak.sign({ roles: [], clientRoles: { 'helpdesk-api': ['agent'] } });
    await request(app).get('/probe').set('Authorization', `Bearer ${token}`).expect(200);
  });

  it('roles another client grants in resource_access grant nothing here', async () => {
    const token = await keycloak.sign({ roles: [], clientRoles: { 'some-other-client': ['admin', 'agent'], account: ['agent'] } });
    await request(app).get('/probe').set('Authorization', `Bearer ${token}`).expect(403);
  });

  it('accepts the scheme name in any case (RFC 9110)', async () => {
    await request(app).get('/probe').set('Authorization', `bearer ${await keycloak.sign()}`).expect(200);
  });

  const refused: [string, () => Promise<string | undefined>][] = [
    ['no Authorization header', async () => undefined],
    ['a garbage token', async () => 'Bearer not.a.jwt'],
    ['a Basic header', async () => 'Basic YWdlbnQxOmFnZW50MQ=='],
    ['an expired token', async () => `Bearer ${await keycloak.sign({ expiresIn: Math.floor(Date.now() / 1000) - 60 })}`],
    ['a token of another issuer', async () => `Bearer ${await keycloak.sign({ issuer: 'http://127.0.0.1:1/realms/other' })}`],
    ['a token signed by a key the realm does not publish', async () => `Bearer ${await keycloak.sign({ foreignKey: true })}`],
    ['an unsigned token (alg: none)', async () => `Bearer ${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ iss: keycloak.issuer, sub: 'x', aud: 'helpdesk-api', typ: 'Bearer', exp: Math.floor(Date.now() / 1000) + 300, realm_access: { roles: ['agent'] } })}.`],
    ['a refresh token (typ: Refresh)', async () => `Bearer ${await keycloak.sign({ typ: 'Refresh' })}`],
    ['an ID token (typ: ID)', async () => `Bearer ${await keycloak.sign({ typ: 'ID' })}`],
    ['a token for another audience', async () => `Bearer ${await keycloak.sign({ audience: 'account' })}`],
    ['a signed token with malformed role claims', async () => `Bearer ${await keycloak.sign({ extra: { realm_access: { roles: 5 } } })}`],
    ['a signed token whose subject is not a string', async () => `Bearer ${await keycloak.sign({ extra: { sub: 5 } })}`],
  ];

  it.each(refused)('%s → 401 problem+json', async (_name, header) => {
    const call = request(app).get('/probe');
    const value = await header();
    if (value) call.set('Authorization', value);
    const response = await call.expect(401);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(response.body).toMatchObject({ status: 401, title: 'Unauthorized' });
  });

  it('a valid token without the role → 403', async () => {
    const response = await request(app).get('/probe').set('Authorization', `Bearer ${await keycloak.sign({ roles: ['manager'] })}`).expect(403);
    expect(response.body.detail).toContain('agent');
  });

  it('a key rotated in the realm is accepted without a restart, once the refetch cooldown has passed', async () => {
    const cooldownMs = 300;
    const service = probeApp(keycloak.baseUrl, { JWKS_COOLDOWN_MS: String(cooldownMs) });
    await request(service).get('/probe').set('Authorization', `Bearer ${await keycloak.sign()}`).expect(200);
    await keycloak.rotate('key-2');
    const rotated = await keycloak.sign();
    expect(JSON.parse(Buffer.from(rotated.split('.')[0] as string, 'base64url').toString()).kid).toBe('key-2');
    await new Promise((resolve) => setTimeout(resolve, cooldownMs + 50));
    await request(service).get('/probe').set('Authorization', `Bearer ${rotated}`).expect(200);
  });

  it('keys are cached: many requests fetch the JWKS once', async () => {
    const fresh = probeApp(keycloak.baseUrl);
    const token = await keycloak.sign();
    const before = keycloak.jwksRequests;
    for (let i = 0; i < 5; i += 1) await request(fresh).get('/probe').set('Authorization', `Bearer ${token}`).expect(200);
    expect(keycloak.jwksRequests - before).toBe(1);
  });

  it('an unreachable identity provider → 503, not a blame on the caller', async () => {
    const orphan = probeApp('http://127.0.0.1:9');
    const response = await request(orphan).get('/probe').set('Authorization', `Bearer ${await keycloak.sign()}`).expect(503);
    expect(response.body).toMatchObject({ status: 503 });
  });
});
