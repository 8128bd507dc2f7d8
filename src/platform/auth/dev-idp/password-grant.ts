import { randomUUID } from 'node:crypto';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { Realm } from './realm.js';
import { keycloakClaims } from './keycloak-claims.js';
import { API_RESOURCE, resourceServerFor } from './resource-server.js';

/**
 * Keycloak's "direct access grant" (OAuth password grant), which oidc-provider does not ship.
 * Scripts and tests use it through `helpdesk-cli`.
 */
export function registerPasswordGrant(provider: Provider, realm: Realm): void {
  provider.registerGrantType(
    'password',
    async (ctx) => {
      const client = ctx.oidc.client!;
      const params = ctx.oidc.params as { username?: string; password?: string; scope?: string };
      const user = params.username ? realm.users.get(params.username) : undefined;
      if (!user || !user.password || user.password !== params.password) {
        // Keycloak 26.0–26.5 answers 401 here (26.6 moved to 400); we imitate Keycloak 26 as imported by docker-compose.
        const error = new errors.InvalidGrant() as InstanceType<typeof errors.InvalidGrant> & { status: number; statusCode: number };
        error.error_description = 'Invalid user credentials';
        error.status = error.statusCode = 401;
        throw error;
      }
      const scope = [...new Set(['openid', 'profile', 'email', ...(params.scope ?? '').split(' ').filter(Boolean)])].join(' ');
      const sid = randomUUID();

      const grant = new provider.Grant({ accountId: user.id, clientId: client.clientId });
      grant.addOIDCScope(scope);
      grant.addResourceScope(API_RESOURCE, scope);
      const grantId = await grant.save();

      const accessToken = new provider.AccessToken({ accountId: user.id, client, grantId, gty: 'password', scope, sid } as never);
      accessToken.resourceServer = new provider.ResourceServer(API_RESOURCE, resourceServerFor(realm, client.clientId) as never);
      const refreshToken = new provider.RefreshToken({ accountId: user.id, client, grantId, gty: 'password', scope, sid, resource: API_RESOURCE, rotations: 0 } as never);
      const idToken = new provider.IdToken({ sub: user.id, ...keycloakClaims(user, client.clientId) }, { ctx });
      (idToken as unknown as { scope: string }).scope = scope;
      idToken.set('sid', sid);

      ctx.body = {
        access_token: await accessToken.save(),
        expires_in: accessToken.expiration,
        refresh_expires_in: refreshToken.expiration,
        refresh_token: await refreshToken.save(),
        token_type: 'Bearer',
        id_token: await idToken.issue({ use: 'idtoken' }),
        'not-before-policy': 0,
        session_state: sid,
        scope,
      };
    },
    ['username', 'password', 'scope'],
  );
}
