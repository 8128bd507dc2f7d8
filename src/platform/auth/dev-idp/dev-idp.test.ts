import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import request from 'supertest';
import { startTestSystem, type TestSystem } from '../../../../test/support/system.js';
import { testConfig } from '../../../../test/support/test-config.js';
import { createLogger } from '../../logging/index.js';
import { verifierFromConfig } from '../index.js';
import { startDevIdp, type DevIdp } from './index.js';

const logger = createLogger('silent');
let idp: DevIdp;
let t: TestSystem;

// Test assertions read JSON bodies loosely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = (response: Response): Promise<any> => response.json();
const tokenUrl = () => `${idp.issuer}/protocol/openid-connect/token`;
const form = (fields: Record<string, string>) => new URLSearchParams(fields);
const postForm = (url: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', body: form(fields), headers });

beforeAll(async () => {
  idp = await startDevIdp({ realmFile: 'keycloak/helpdesk-realm.json', host: '127.0.0.1', port: 0, nodeEnv: 'test', logger });
  t = await startTestSystem({ KEYCLOAK_URL: idp.url });
});
afterAll(async () => {
  await t?.stop();
  await idp?.close();
});

describe('the development identity provider speaks Keycloak', () => {
  it('publishes discovery and JWKS at Keycloak paths for realm helpdesk', async () => {
    const discovery = await json(await fetch(`${idp.issuer}/.well-known/openid-configuration`));
    expect(discovery).toMatchObject({
      issuer: idp.issuer,
      token_endpoint: `${idp.issuer}/protocol/openid-connect/token`,
      jwks_uri: `${idp.issuer}/protocol/openid-connect/certs`,
      authorization_endpoint: `${idp.issuer}/protocol/openid-connect/auth`,
    });
    expect(discovery.grant_types_supported).toEqual(expect.arrayContaining(['password', 'client_credentials', 'authorization_code', 'refresh_token']));
    const jwks = await json(await fetch(discovery.jwks_uri));
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(jwks.keys[0].d).toBeUndefined();
  });

  it('password grant for agent1 gives a Keycloak-shaped token the incidents service accepts as an agent', async () => {
    const response = await postForm(tokenUrl(), { grant_type: 'password', client_id: 'helpdesk-cli', username: 'agent1', password: 'agent1' });
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 300 });
    expect(decodeProtectedHeader(body.access_token)).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    expect(decodeJwt(body.access_token)).toMatchObject({
      iss: idp.issuer,
      typ: 'Bearer',
      azp: 'helpdesk-cli',
      aud: 'helpdesk-api',
      preferred_username: 'agent1',
      email: expect.stringContaining('@'),
      name: expect.any(String),
      realm_access: { roles: ['agent'] },
    });

    const created = await request(t.edge).post('/api/v1/incidents').set('Authorization', `Bearer ${body.access_token}`).send({ title: 'From the dev IdP' }).expect(201);
    expect(created.body.created_by).toMatchObject({ username: 'agent1', id: decodeJwt(body.access_token).sub });
  });

  it('a wrong password answers 401 invalid_grant, as Keycloak 26 does', async () => {
    const response = await postForm(tokenUrl(), { grant_type: 'password', client_id: 'helpdesk-cli', username: 'agent1', password: 'wrong' });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'invalid_grant', error_description: 'Invalid user credentials' });
  });

  it('refuses the password grant to a client without direct access grants', async () => {
    const response = await postForm(tokenUrl(), { grant_type: 'password', client_id: 'helpdesk-web', username: 'agent1', password: 'agent1' });
    // Keycloak says unauthorized_client here; oidc-provider's grant check says invalid_request. Both refuse with 400.
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_request', error_description: 'requested grant type is not allowed for this client' });
  });

  it('client credentials of helpdesk-intake yield a service-account token with role intake', async () => {
    const basic = Buffer.from('helpdesk-intake:intake-dev-secret').toString('base64');
    const response = await postForm(tokenUrl(), { grant_type: 'client_credentials' }, { Authorization: `Basic ${basic}` });
    expect(response.status).toBe(200);
    const { access_token } = await json(response);
    expect(decodeJwt(access_token)).toMatchObject({ azp: 'helpdesk-intake', preferred_username: 'service-account-helpdesk-intake', realm_access: { roles: ['intake'] } });
    const user = await verifierFromConfig(testConfig({ KEYCLOAK_URL: idp.url }))(access_token);
    expect([...user.roles]).toEqual(['intake']);
    // An intake account may not read incidents.
    const agentToken = await (await postForm(tokenUrl(), { grant_type: 'password', client_id: 'helpdesk-cli', username: 'agent1', password: 'agent1' })).json() as { access_token: string };
    const anyIncident = await request(t.edge).post('/api/v1/incidents').set('Authorization', `Bearer ${agentToken.access_token}`).send({ title: 'x' }).expect(201);
    await request(t.edge).get(`/api/v1/incidents/${anyIncident.body.id}`).set('Authorization', `Bearer ${access_token}`).expect(403);
  });

  it('a wrong client secret is refused', async () => {
    const basic = Buffer.from('helpdesk-intake:nope').toString('base64');
    const response = await postForm(tokenUrl(), { grant_type: 'client_credentials' }, { Authorization: `Basic ${basic}` });
    expect(response.status).toBe(401);
  });

  it('signs in through the login page (authorization code, helpdesk-web) and will not exchange the code without the PKCE verifier', async () => {
    const cookies = new Map<string, string>();
    const go = async (url: string, init: RequestInit = {}) => {
      const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
      for (const cookie of response.headers.getSetCookie()) {
        const [pair] = cookie.split(';');
        const [name, value] = (pair as string).split('=') as [string, string];
        if (value) cookies.set(name, value);
        else cookies.delete(name);
      }
      return response;
    };
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const redirectUri = 'http://localhost:8080/callback';
    const authorize = `${idp.issuer}/protocol/openid-connect/auth?${form({ client_id: 'helpdesk-web', response_type: 'code', redirect_uri: redirectUri, scope: 'openid', state: 's1', code_challenge: challenge, code_challenge_method: 'S256' })}`;

    let response = await go(authorize);
    expect(response.status).toBe(303);
    const loginUrl = new URL(response.headers.get('location') as string, idp.url).href;
    expect(loginUrl).toContain('/realms/helpdesk/login-actions/');
    const page = await (await go(loginUrl)).text();
    expect(page).toContain('name="password"');

    const wrong = await go(loginUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form({ username: 'manager1', password: 'bad' }) });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('Invalid username or password');

    response = await go(loginUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form({ username: 'manager1', password: 'manager1' }) });
    let location = response.headers.get('location') as string;
    for (let hops = 0; hops < 5 && !location.startsWith(redirectUri); hops += 1) {
      response = await go(new URL(location, idp.url).href);
      location = response.headers.get('location') as string;
    }
    const callback = new URL(location);
    expect(callback.searchParams.get('state')).toBe('s1');
    const code = callback.searchParams.get('code') as string;

    const withoutVerifier = await postForm(tokenUrl(), { grant_type: 'authorization_code', client_id: 'helpdesk-web', code, redirect_uri: redirectUri });
    expect(withoutVerifier.status).toBe(400);
  });

  it('exchanges the code for a token when the PKCE verifier matches', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const redirectUri = 'http://127.0.0.1:8080/';
    const jar: string[] = [];
    const go = async (url: string, init: RequestInit = {}) => {
      const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: jar.join('; ') } });
      for (const cookie of response.headers.getSetCookie()) jar.push((cookie.split(';')[0]) as string);
      return response;
    };
    let response = await go(`${idp.issuer}/protocol/openid-connect/auth?${form({ client_id: 'helpdesk-web', response_type: 'code', redirect_uri: redirectUri, scope: 'openid', code_challenge: challenge, code_challenge_method: 'S256' })}`);
    const loginUrl = new URL(response.headers.get('location') as string, idp.url).href;
    response = await go(loginUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form({ username: 'agent1', password: 'agent1' }) });
    let location = response.headers.get('location') as string;
    for (let hops = 0; hops < 5 && !location.startsWith(redirectUri); hops += 1) {
      response = await go(new URL(location, idp.url).href);
      location = response.headers.get('location') as string;
    }
    const code = new URL(location).searchParams.get('code') as string;
    const token = await postForm(tokenUrl(), { grant_type: 'authorization_code', client_id: 'helpdesk-web', code, redirect_uri: redirectUri, code_verifier: verifier });
    expect(token.status).toBe(200);
    const body = await json(token);
    expect(decodeJwt(body.access_token)).toMatchObject({ azp: 'helpdesk-web', typ: 'Bearer', preferred_username: 'agent1', realm_access: { roles: ['agent'] } });
    expect(body.refresh_token).toEqual(expect.any(String));
    await request(t.edge).post('/api/v1/incidents').set('Authorization', `Bearer ${body.access_token}`).send({ title: 'From the web UI flow' }).expect(201);
  });

  it('refuses an authorization request without PKCE', async () => {
    const response = await fetch(`${idp.issuer}/protocol/openid-connect/auth?${form({ client_id: 'helpdesk-web', response_type: 'code', redirect_uri: 'http://localhost:8080/cb', scope: 'openid' })}`, { redirect: 'manual' });
    expect(new URL(response.headers.get('location') as string).searchParams.get('error')).toBe('invalid_request');
  });

  it('answers an expired or foreign sign-in page with a plain 400 page, not a stack trace', async () => {
    const response = await fetch(`${idp.issuer}/login-actions/not-a-real-interaction`);
    expect(response.status).toBe(400);
    const body = await response.text();
    expect(body).toContain('expired');
    expect(body).not.toMatch(/at .*\.js:\d+/);
  });

  it('refuses to start with NODE_ENV=production', async () => {
    await expect(startDevIdp({ realmFile: 'keycloak/helpdesk-realm.json', host: '127.0.0.1', port: 0, nodeEnv: 'production', logger })).rejects.toThrow(/production/);
  });
});

describe('the whole system on the development identity provider', () => {
  it('accepts its tokens whatever HOST it listens on (issuer and verifier agree)', async () => {
    const system = await startTestSystem({ KEYCLOAK_URL: '', HOST: 'localhost' }, { devIdp: true });
    try {
      const issuer = system.system.idp?.issuer as string;
      expect(issuer).toContain('localhost');
      const token = (await json(await postForm(`${issuer}/protocol/openid-connect/token`, { grant_type: 'password', client_id: 'helpdesk-cli', username: 'agent1', password: 'agent1' }))).access_token;
      await request(system.edge).post('/api/v1/incidents').set('Authorization', `Bearer ${token}`).send({ title: 'Signed by the dev IdP on localhost' }).expect(201);
      for (const service of Object.values(system.system.services)) await request(service.url).get('/health/ready').expect(200);
    } finally {
      await system.stop();
    }
  });
});
