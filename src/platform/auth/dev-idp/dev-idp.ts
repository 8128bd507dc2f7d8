import express from 'express';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { Logger } from '../../logging/index.js';
import { listen, type RunningServer } from '../../lifecycle/index.js';
import { loadRealm, type Realm } from './realm.js';
import { keycloakClaims } from './keycloak-claims.js';
import { registerPasswordGrant } from './password-grant.js';
import { loginRoutes } from './login-page.js';
import { API_RESOURCE, resourceServerFor } from './resource-server.js';
import { loadIdpSecrets } from './signing-key.js';

const OIDC = '/protocol/openid-connect';

export interface DevIdpOptions {
  realmFile: string;
  host: string;
  port: number;
  nodeEnv: string;
  logger: Logger;
  /** Where the signing key is kept across restarts; omitted, a fresh key per start. */
  keyFile?: string;
  shutdownTimeoutMs?: number;
}

export interface DevIdp extends RunningServer {
  issuer: string;
  realm: Realm;
}

const originOf = (uri: string) => {
  try {
    return new URL(uri.replace(/\*$/, '')).origin;
  } catch {
    return undefined;
  }
};

/** Keycloak's redirect URIs may end in `*`; the part before it is a prefix. */
const redirectAllowed = (patterns: string[], uri: string) =>
  patterns.some((pattern) => (pattern.endsWith('*') ? uri.startsWith(pattern.slice(0, -1)) : uri === pattern));

function providerConfiguration(realm: Realm, jwk: object, cookieKey: string): Configuration {
  const userFor = (accountId: string | undefined) => (accountId ? realm.userById(accountId) : undefined);
  const serviceAccountOf = (clientId: string) => realm.clients.find((client) => client.clientId === clientId)?.serviceAccount;
  return {
    jwks: { keys: [jwk as never] },
    cookies: { keys: [cookieKey] },
    clients: realm.clients.map((client) => ({
      client_id: client.clientId,
      ...(client.publicClient ? { token_endpoint_auth_method: 'none' as const } : { client_secret: client.secret ?? '' }),
      grant_types: client.grantTypes,
      response_types: client.grantTypes.includes('authorization_code') ? ['code' as const] : [],
      // Wildcards are matched by redirectUriAllowed below; the registered URIs only need to be URLs.
      redirect_uris: client.grantTypes.includes('authorization_code') ? client.redirectUris.map((uri) => uri.replace(/\*$/, '')) : [],
    })),
    routes: {
      authorization: `${OIDC}/auth`,
      token: `${OIDC}/token`,
      jwks: `${OIDC}/certs`,
      userinfo: `${OIDC}/userinfo`,
      end_session: `${OIDC}/logout`,
      revocation: `${OIDC}/revoke`,
      introspection: `${OIDC}/token/introspect`,
    },
    responseTypes: ['code'],
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    claims: { openid: ['sub', 'sid'], profile: ['name', 'given_name', 'family_name', 'preferred_username'], email: ['email', 'email_verified'] },
    interactions: { url: (_ctx, interaction) => `/realms/${realm.name}/login-actions/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: true },
      pushedAuthorizationRequests: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, _resource, client) => resourceServerFor(realm, client.clientId),
      },
    } as Configuration['features'],
    async findAccount(ctx, sub) {
      const user = userFor(sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        claims: () => {
          const entities = ctx.oidc.entities as { AuthorizationCode?: { sessionUid?: string }; RefreshToken?: { sessionUid?: string; sid?: string } };
          const sid = entities.AuthorizationCode?.sessionUid ?? entities.RefreshToken?.sessionUid ?? entities.RefreshToken?.sid;
          return { sub, ...keycloakClaims(user, ctx.oidc.client?.clientId ?? '', sid) };
        },
      };
    },
    // First-party clients only: no consent screen, every requested scope is granted.
    async loadExistingGrant(ctx) {
      const clientId = ctx.oidc.client!.clientId;
      const grantId = (ctx.oidc.result?.consent as { grantId?: string } | undefined)?.grantId ?? ctx.oidc.session!.grantIdFor(clientId);
      if (grantId) {
        const existing = await ctx.oidc.provider.Grant.find(grantId);
        if (existing) return existing;
      }
      const grant = new ctx.oidc.provider.Grant({ clientId, accountId: ctx.oidc.session!.accountId });
      grant.addOIDCScope('openid profile email offline_access');
      grant.addResourceScope(API_RESOURCE, 'openid profile email offline_access');
      await grant.save();
      return grant;
    },
    async extraTokenClaims(_ctx, token) {
      const kind = (token as { kind: string }).kind;
      const clientId = (token as { clientId: string }).clientId;
      if (kind === 'ClientCredentials') {
        const account = serviceAccountOf(clientId);
        return account ? keycloakClaims(account, clientId) : { typ: 'Bearer', azp: clientId };
      }
      const withAccount = token as { accountId?: string; sid?: string; sessionUid?: string };
      const user = userFor(withAccount.accountId);
      return user ? keycloakClaims(user, clientId, withAccount.sid ?? withAccount.sessionUid) : undefined;
    },
    formats: {
      customizers: {
        // Keycloak's header says `JWT`; a service account's `sub` is its user's id, not the client id.
        async jwt(_ctx, token, jwt) {
          jwt.header = { typ: 'JWT' };
          const { kind, clientId } = token as unknown as { kind: string; clientId: string };
          if (kind === 'ClientCredentials') {
            const account = serviceAccountOf(clientId);
            if (account) jwt.payload.sub = account.id;
          } else {
            delete jwt.payload.client_id;
          }
        },
      },
    },
    // Keycloak hands refresh tokens to every flow that allows them, not only to offline_access.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // Keycloak's webOrigins "+": the origins of the client's redirect URIs, exactly.
    clientBasedCORS: (_ctx: KoaContextWithOIDC, origin: string, client) =>
      realm.clients.find((entry) => entry.clientId === client.clientId)?.redirectUris.some((uri) => originOf(uri) === origin) ?? false,
    ttl: { AccessToken: realm.accessTokenLifespan, ClientCredentials: realm.accessTokenLifespan, IdToken: realm.accessTokenLifespan, RefreshToken: 1800, Interaction: 600, Session: 36_000, Grant: 36_000 },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = `<!doctype html><title>Error</title><h1>${String(out.error)}</h1><p>${String(out.error_description ?? '').replace(/[<>&]/g, '')}</p>`;
    },
  };
}

/**
 * A Keycloak-compatible OpenID provider for realm `helpdesk`, for local runs only: same
 * paths, same token shape, clients and users from the realm export Keycloak imports.
 */
export async function startDevIdp(options: DevIdpOptions): Promise<DevIdp> {
  if (options.nodeEnv === 'production') {
    throw new Error('The development identity provider refuses to run with NODE_ENV=production; set KEYCLOAK_URL to a real Keycloak.');
  }
  const realm = await loadRealm(options.realmFile);
  const secrets = await loadIdpSecrets(options.keyFile);
  const app = express();
  app.disable('x-powered-by');
  // The issuer has to name the real port, which is only known once listening (port 0 in tests).
  const server = await listen(app, { host: options.host, port: options.port, shutdownTimeoutMs: options.shutdownTimeoutMs ?? 2_000, prototypes: { request: app.request, response: app.response } });
  const realmPath = `/realms/${realm.name}`;
  const issuer = `${server.url}${realmPath}`;

  const provider = new Provider(issuer, providerConfiguration(realm, secrets.jwk, secrets.cookieKey));
  const redirectUris = new Map(realm.clients.map((client) => [client.clientId, client.redirectUris]));
  const baseRedirectUriAllowed = provider.Client.prototype.redirectUriAllowed;
  provider.Client.prototype.redirectUriAllowed = function redirectUriAllowed(this: { clientId: string }, uri: string) {
    return redirectAllowed(redirectUris.get(this.clientId) ?? [], uri) || baseRedirectUriAllowed.call(this, uri);
  };
  registerPasswordGrant(provider, realm);

  // oidc-provider's userinfo refuses tokens that carry an audience; Keycloak's accepts its own access tokens.
  const keys = createRemoteJWKSet(new URL(`${issuer}${OIDC}/certs`));
  app.get(`${realmPath}${OIDC}/userinfo`, async (req, res) => {
    try {
      const token = (req.get('authorization') ?? '').replace(/^Bearer /i, '');
      const { payload } = await jwtVerify(token, keys, { issuer });
      const { sub, preferred_username, email, email_verified, name, given_name, family_name } = payload as Record<string, unknown>;
      res.json({ sub, email_verified, name, preferred_username, given_name, family_name, email });
    } catch {
      res.status(401).set('WWW-Authenticate', 'Bearer error="invalid_token"').json({ error: 'invalid_token', error_description: 'Token verification failed' });
    }
  });
  app.use(loginRoutes(provider, realm, realmPath));
  app.use(realmPath, provider.callback());

  options.logger.warn({ issuer }, 'development identity provider running: demo users and secrets from the realm export; never use it in production');
  return { ...server, issuer, realm };
}
