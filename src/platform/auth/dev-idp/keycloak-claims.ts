import type { RealmUser } from './realm.js';

/** The claims Keycloak puts into an access token for a user or a service account. */
export function keycloakClaims(user: RealmUser, clientId: string, sid?: string) {
  const name = [user.firstName, user.lastName].filter(Boolean).join(' ');
  return {
    typ: 'Bearer',
    azp: clientId,
    ...(sid ? { sid } : {}),
    realm_access: { roles: user.realmRoles },
    ...(Object.keys(user.clientRoles).length
      ? { resource_access: Object.fromEntries(Object.entries(user.clientRoles).map(([client, roles]) => [client, { roles }])) }
      : {}),
    preferred_username: user.username,
    ...(user.email ? { email: user.email, email_verified: true } : {}),
    ...(name ? { name, given_name: user.firstName, family_name: user.lastName } : {}),
  };
}
