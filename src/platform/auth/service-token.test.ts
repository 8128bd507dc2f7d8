import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startKeycloakStandIn, type KeycloakStandIn } from '../../../test/support/keycloak-tokens.js';
import { freePort } from '../../../test/support/ports.js';
import { testConfig } from '../../../test/support/test-config.js';
import { createLogger } from '../logging/index.js';
import { startDevIdp, type DevIdp } from './dev-idp/index.js';
import { createTokenVerifier, serviceTokenFromConfig, serviceTokenSource, verifierFromConfig } from './index.js';

let keycloak: KeycloakStandIn;
let silent: Server;
const hung = new Set<Socket>();

const tokenUrl = () => `${keycloak.baseUrl}/realms/helpdesk/protocol/openid-connect/token`;
const migration = (overrides: Partial<Parameters<typeof serviceTokenSource>[0]> = {}) =>
  serviceTokenSource({ tokenUrl: tokenUrl(), clientId: 'helpdesk-migration', clientSecret: 'migration-dev-secret', ...overrides });

beforeAll(async () => {
  keycloak = await startKeycloakStandIn();
  // Accepts connections and never answers: a hung identity provider.
  silent = createServer((socket) => {
    hung.add(socket);
    socket.on('close', () => hung.delete(socket));
  }).listen(0, '127.0.0.1');
  await once(silent, 'listening');
});
afterAll(async () => {
  await keycloak?.close();
  for (const socket of hung) socket.destroy();
  await new Promise((resolve) => silent?.close(resolve));
});

describe('service-account tokens by the client credentials grant', () => {
  it('the migration client from config gets a token the services accept as service-account-helpdesk-migration with role agent', async () => {
    const config = testConfig({ KEYCLOAK_URL: keycloak.baseUrl });
    const token = await serviceTokenFromConfig(config).token();
    const user = await verifierFromConfig(config)(token);
    expect({ username: user.username, clientId: user.clientId, roles: [...user.roles] }).toEqual({
      username: 'service-account-helpdesk-migration',
      clientId: 'helpdesk-migration',
      roles: ['agent', 'migrator'],
    });
  });

  it('reuses its token: a second call makes no request', async () => {
    const source = migration();
    const before = keycloak.tokenRequests;
    const first = await source.token();
    expect(await source.token()).toBe(first);
    expect(keycloak.tokenRequests - before).toBe(1);
  });

  it('asks for a new token 30 s before the cached one expires, not earlier', async () => {
    let clock = Date.now();
    const source = migration({ now: () => clock });
    const before = keycloak.tokenRequests;
    await source.token();
    clock += (300 - 31) * 1000;
    await source.token();
    expect(keycloak.tokenRequests - before).toBe(1);
    clock += 2_000;
    await source.token();
    expect(keycloak.tokenRequests - before).toBe(2);
  });

  it('ten concurrent callers share one request', async () => {
    const source = migration();
    const before = keycloak.tokenRequests;
    const tokens = await Promise.all(Array.from({ length: 10 }, () => source.token()));
    expect(new Set(tokens).size).toBe(1);
    expect(keycloak.tokenRequests - before).toBe(1);
  });

  it('a wrong secret rejects with Keycloak\'s error, and the failure is not cached: the next call asks again', async () => {
    const source = migration({ clientSecret: 'wrong' });
    const before = keycloak.tokenRequests;
    await expect(source.token()).rejects.toThrow(/401.*unauthorized_client.*Invalid client or Invalid client credentials/);
    await expect(source.token()).rejects.toThrow(/unauthorized_client/);
    expect(keycloak.tokenRequests - before).toBe(2);
  });

  it('a client without a service account is refused', async () => {
    await expect(migration({ clientId: 'helpdesk-cli', clientSecret: '' }).token()).rejects.toThrow(/401.*unauthorized_client/);
  });

  it('an unreachable identity provider rejects at once, naming the token URL', async () => {
    const port = await freePort();
    await expect(migration({ tokenUrl: `http://127.0.0.1:${port}/token` }).token()).rejects.toThrow(`127.0.0.1:${port}/token failed: connect ECONNREFUSED`);
  });

  it('an identity provider that never answers rejects within the timeout', async () => {
    const port = (silent.address() as { port: number }).port;
    const started = Date.now();
    await expect(migration({ tokenUrl: `http://127.0.0.1:${port}/token`, timeoutMs: 200 }).token()).rejects.toThrow(/no answer within 200 ms/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('service-account tokens from the development identity provider', () => {
  let idp: DevIdp;
  beforeAll(async () => {
    idp = await startDevIdp({ realmFile: 'keycloak/helpdesk-realm.json', host: '127.0.0.1', port: 0, nodeEnv: 'test', logger: createLogger('silent') });
  });
  afterAll(() => idp?.close());

  it('helpdesk-migration gets a token with realm role agent', async () => {
    const source = serviceTokenSource({ tokenUrl: `${idp.issuer}/protocol/openid-connect/token`, clientId: 'helpdesk-migration', clientSecret: 'migration-dev-secret' });
    const verify = createTokenVerifier({ issuer: idp.issuer, jwksUrl: `${idp.issuer}/protocol/openid-connect/certs`, audience: 'helpdesk-api', cooldownMs: 0 });
    const user = await verify(await source.token());
    expect({ username: user.username, clientId: user.clientId, roles: [...user.roles] }).toEqual({
      username: 'service-account-helpdesk-migration',
      clientId: 'helpdesk-migration',
      roles: ['agent', 'migrator'],
    });
  });
});

describe('the Keycloak stand-in these tests rely on', () => {
  const post = (fields: Record<string, string>) => fetch(tokenUrl(), { method: 'POST', body: new URLSearchParams(fields) });

  it('takes client credentials in the form as well as by HTTP Basic, and refuses other grants as Keycloak 26 does', async () => {
    const granted = await post({ grant_type: 'client_credentials', client_id: 'helpdesk-intake', client_secret: 'intake-dev-secret' });
    expect(granted.status).toBe(200);
    expect(await granted.json()).toMatchObject({ token_type: 'Bearer', expires_in: 300, access_token: expect.any(String) });
    const password = await post({ grant_type: 'password', client_id: 'helpdesk-cli', username: 'agent1', password: 'agent1' });
    expect(password.status).toBe(400);
    expect(await password.json()).toMatchObject({ error: 'unsupported_grant_type' });
    const wrong = await post({ grant_type: 'client_credentials', client_id: 'helpdesk-intake', client_secret: 'nope' });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: 'unauthorized_client', error_description: 'Invalid client or Invalid client credentials' });
  });
});
