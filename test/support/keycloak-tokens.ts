import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type CryptoKey } from 'jose';

export interface SignOptions {
  roles?: string[];
  clientRoles?: Record<string, string[]>;
  username?: string;
  sub?: string;
  typ?: string;
  issuer?: string;
  audience?: string | string[];
  /** Absolute expiry in epoch seconds; five minutes from now by default. */
  expiresIn?: number;
  /** Sign with a key the JWKS does not publish. */
  foreignKey?: boolean;
  azp?: string;
  /** Claims to add or override as they are, e.g. malformed ones. */
  extra?: Record<string, unknown>;
}

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

// The clients and service-account users Keycloak imports; the token endpoint knows the same ones.
const REALM_FILE = 'keycloak/helpdesk-realm.json';

interface RealmFile {
  accessTokenLifespan?: number;
  clients: { clientId: string; publicClient?: boolean; secret?: string; serviceAccountsEnabled?: boolean }[];
  users: { username: string; serviceAccountClientId?: string; realmRoles?: string[]; clientRoles?: Record<string, string[]> }[];
}

type OAuthAnswer = { status: number; body: Record<string, unknown> };

const INVALID_CLIENT = 'Invalid client or Invalid client credentials';
const refuse = (status: number, error: string, description?: string): OAuthAnswer =>
  ({ status, body: { error, ...(description ? { error_description: description } : {}) } });

/** Client id and secret from HTTP Basic (form-urlencoded inside, RFC 6749 §2.3.1) or else from the form, as Keycloak reads them. */
function clientCredentials(req: IncomingMessage, form: URLSearchParams): { id?: string; secret?: string } {
  const [scheme, encoded] = (req.headers.authorization ?? '').split(' ');
  if (scheme?.toLowerCase() === 'basic' && encoded) {
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const part = (value: string) => decodeURIComponent(value.replace(/\+/g, '%20'));
    if (colon > 0) return { id: part(decoded.slice(0, colon)), secret: part(decoded.slice(colon + 1)) };
  }
  return { id: form.get('client_id') ?? undefined, secret: form.get('client_secret') ?? undefined };
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

const sendJson = (res: ServerResponse, { status, body }: OAuthAnswer) => {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.setHeader('cache-control', 'no-store');
  res.end(JSON.stringify(body));
};

async function newKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

/**
 * A local stand-in for Keycloak's realm keys: serves a JWKS at Keycloak's path and signs
 * access tokens with Keycloak's claim shape. `rotate()` publishes a new key, as Keycloak
 * does when a realm rotates keys. Its token endpoint answers the client credentials grant
 * for the confidential clients of the realm export, with their service accounts' roles.
 */
export async function startKeycloakStandIn(realm = 'helpdesk') {
  let keys = [await newKey('key-1')];
  const foreign = await newKey('key-1');
  let jwksRequests = 0;
  let tokenRequests = 0;
  let realmFile: Promise<RealmFile> | undefined;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === `/realms/${realm}/protocol/openid-connect/certs`) {
      jwksRequests += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: keys.map((key) => key.publicJwk) }));
      return;
    }
    if (path === `/realms/${realm}/protocol/openid-connect/token` && req.method === 'POST') {
      tokenRequests += 1;
      issueToken(req).then(
        (answer) => sendJson(res, answer),
        (error: unknown) => sendJson(res, refuse(500, 'server_error', String(error))),
      );
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = `${baseUrl}/realms/${realm}`;

  async function sign(options: SignOptions = {}): Promise<string> {
    const key = options.foreignKey ? foreign : (keys[keys.length - 1] as SigningKey);
    const username = options.username ?? 'agent1';
    const now = Math.floor(Date.now() / 1000);
    const lifetime = typeof options.expiresIn === 'number' ? options.expiresIn : now + 300;
    const claims = {
      iss: options.issuer ?? issuer,
      sub: options.sub ?? `00000000-0000-4000-8000-${Buffer.from(username).toString('hex').padStart(12, '0').slice(-12)}`,
      aud: options.audience ?? 'helpdesk-api',
      iat: now,
      exp: lifetime,
      typ: options.typ ?? 'Bearer',
      azp: options.azp ?? 'helpdesk-cli',
      preferred_username: username,
      name: `${username} Demo`,
      email: `${username}@figdesk.test`,
      realm_access: { roles: options.roles ?? ['agent'] },
      ...(options.clientRoles ? { resource_access: Object.fromEntries(Object.entries(options.clientRoles).map(([client, roles]) => [client, { roles }])) } : {}),
      ...options.extra,
    };
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid }).sign(key.privateKey);
  }

  /** Keycloak 26's answers to the client credentials grant; the wrong-secret and wrong-grant ones word for word. */
  async function issueToken(req: IncomingMessage): Promise<OAuthAnswer> {
    const form = await readForm(req);
    const grant = form.get('grant_type');
    if (!grant) return refuse(400, 'invalid_request', 'Missing form parameter: grant_type');
    if (grant !== 'client_credentials') return refuse(400, 'unsupported_grant_type', 'Unsupported grant_type');
    realmFile ??= readFile(REALM_FILE, 'utf8').then((text) => JSON.parse(text) as RealmFile);
    const { clients, users, accessTokenLifespan = 300 } = await realmFile;
    const credentials = clientCredentials(req, form);
    const client = clients.find((entry) => entry.clientId === credentials.id);
    if (!client) return refuse(401, 'invalid_client', INVALID_CLIENT);
    if (client.publicClient) return refuse(401, 'unauthorized_client', 'Public client not allowed to retrieve service account');
    if (!client.secret || credentials.secret !== client.secret) return refuse(401, 'unauthorized_client', INVALID_CLIENT);
    const account = users.find((user) => user.serviceAccountClientId === client.clientId);
    if (!client.serviceAccountsEnabled || !account) return refuse(401, 'unauthorized_client', 'Client not enabled to retrieve service account');
    const accessToken = await sign({
      username: account.username,
      roles: account.realmRoles ?? [],
      ...(account.clientRoles && Object.keys(account.clientRoles).length ? { clientRoles: account.clientRoles } : {}),
      azp: client.clientId,
      expiresIn: Math.floor(Date.now() / 1000) + accessTokenLifespan,
      extra: { client_id: client.clientId },
    });
    const body = { access_token: accessToken, expires_in: accessTokenLifespan, refresh_expires_in: 0, token_type: 'Bearer', 'not-before-policy': 0, scope: 'profile email' };
    return { status: 200, body };
  }

  return {
    baseUrl,
    issuer,
    sign,
    /** Publishes a new signing key; tokens are signed with it from now on. */
    async rotate(kid: string) {
      keys = [...keys, await newKey(kid)];
    },
    get jwksRequests() {
      return jwksRequests;
    },
    /** Requests to the token endpoint, answered or refused. */
    get tokenRequests() {
      return tokenRequests;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type KeycloakStandIn = Awaited<ReturnType<typeof startKeycloakStandIn>>;
