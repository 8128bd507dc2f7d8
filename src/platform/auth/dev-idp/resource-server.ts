import type { Realm } from './realm.js';

/** The single resource the realm's tokens are for; `aud` comes from the client's audience mappers. */
export const API_RESOURCE = 'urn:figdesk:api';

export function resourceServerFor(realm: Realm, clientId: string | undefined) {
  const audiences = realm.clients.find((client) => client.clientId === clientId)?.audiences ?? [];
  return {
    scope: 'openid profile email offline_access',
    // oidc-provider takes one audience; Keycloak's tokens here carry one (helpdesk-api), or `account` without a mapper.
    audience: audiences[0] ?? 'account',
    accessTokenFormat: 'jwt' as const,
    accessTokenTTL: realm.accessTokenLifespan,
    jwt: { sign: { alg: 'RS256' as const } },
  };
}
