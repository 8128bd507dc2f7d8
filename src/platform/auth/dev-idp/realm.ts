import { readFile } from 'node:fs/promises';
import { v5 as uuidv5 } from 'uuid';
import { z } from 'zod';

// Only the parts of a Keycloak realm export the development identity provider uses.
const RealmExport = z.object({
  realm: z.string(),
  accessTokenLifespan: z.number().int().positive().default(300),
  clients: z.array(
    z.object({
      clientId: z.string(),
      publicClient: z.boolean().default(false),
      secret: z.string().optional(),
      standardFlowEnabled: z.boolean().default(true),
      directAccessGrantsEnabled: z.boolean().default(false),
      serviceAccountsEnabled: z.boolean().default(false),
      redirectUris: z.array(z.string()).default([]),
      protocolMappers: z
        .array(z.object({ protocolMapper: z.string(), config: z.record(z.string(), z.string()).default({}) }))
        .default([]),
    }),
  ),
  users: z.array(
    z.object({
      id: z.string().optional(),
      username: z.string(),
      enabled: z.boolean().default(true),
      email: z.string().optional(),
      firstName: z.string().optional(),
      lastName: z.string().optional(),
      serviceAccountClientId: z.string().optional(),
      realmRoles: z.array(z.string()).default([]),
      clientRoles: z.record(z.string(), z.array(z.string())).default({}),
      credentials: z.array(z.object({ type: z.string(), value: z.string().optional() })).default([]),
    }),
  ),
});

export interface RealmUser {
  id: string;
  username: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  password?: string;
  realmRoles: string[];
  clientRoles: Record<string, string[]>;
}

export interface RealmClient {
  clientId: string;
  publicClient: boolean;
  secret?: string;
  grantTypes: string[];
  redirectUris: string[];
  /** Audiences added by `oidc-audience-mapper`s on this client (Keycloak's aud claim). */
  audiences: string[];
  serviceAccount?: RealmUser;
}

export interface Realm {
  name: string;
  accessTokenLifespan: number;
  clients: RealmClient[];
  users: Map<string, RealmUser>;
  userById(id: string): RealmUser | undefined;
}

// Keycloak generates user ids on import; ours are derived from the username so they stay
// the same across restarts (incidents keep assignee ids).
const USER_ID_NAMESPACE = '6f1c5b2e-3d4a-4f7b-9a8c-1e2d3c4b5a69';

/** Reads the realm export Keycloak imports, so both identity providers know the same clients and users. */
export async function loadRealm(file: string): Promise<Realm> {
  const parsed = RealmExport.parse(JSON.parse(await readFile(file, 'utf8')));
  const users = parsed.users
    .filter((user) => user.enabled)
    .map((user) => ({
      id: user.id ?? uuidv5(`${parsed.realm}/${user.username}`, USER_ID_NAMESPACE),
      username: user.username,
      email: user.email,
      firstName: user.firstName,
      lastName: user.lastName,
      password: user.credentials.find((credential) => credential.type === 'password')?.value,
      realmRoles: user.realmRoles,
      clientRoles: user.clientRoles,
      serviceAccountClientId: user.serviceAccountClientId,
    }));

  const clients: RealmClient[] = parsed.clients.map((client) => ({
    clientId: client.clientId,
    publicClient: client.publicClient,
    secret: client.secret,
    grantTypes: [
      ...(client.standardFlowEnabled ? ['authorization_code', 'refresh_token'] : []),
      ...(client.directAccessGrantsEnabled ? ['password', 'refresh_token'] : []),
      ...(client.serviceAccountsEnabled && !client.publicClient ? ['client_credentials'] : []),
    ].filter((grant, index, all) => all.indexOf(grant) === index),
    redirectUris: client.redirectUris,
    audiences: client.protocolMappers
      .filter((mapper) => mapper.protocolMapper === 'oidc-audience-mapper' && mapper.config['access.token.claim'] !== 'false')
      .map((mapper) => mapper.config['included.custom.audience'] ?? mapper.config['included.client.audience'])
      .filter((audience): audience is string => Boolean(audience)),
    serviceAccount: users.find((user) => user.serviceAccountClientId === client.clientId),
  }));

  const humans = users.filter((user) => !user.serviceAccountClientId);
  const byId = new Map(users.map((user) => [user.id, user]));
  return {
    name: parsed.realm,
    accessTokenLifespan: parsed.accessTokenLifespan,
    clients,
    users: new Map(humans.map((user) => [user.username, user])),
    userById: (id) => byId.get(id),
  };
}
