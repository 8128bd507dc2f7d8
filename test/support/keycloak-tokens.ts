import { createServer, type Server } from 'node:http';
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

async function newKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

/**
 * A local stand-in for Keycloak's realm keys: serves a JWKS at Keycloak's path and signs
 * access tokens with Keycloak's claim shape. `rotate()` publishes a new key, as Keycloak
 * does when a realm rotates keys.
 */
export async function startKeycloakStandIn(realm = 'helpdesk') {
  let keys = [await newKey('key-1')];
  const foreign = await newKey('key-1');
  let jwksRequests = 0;
  const server: Server = createServer((req, res) => {
    if (req.url === `/realms/${realm}/protocol/openid-connect/certs`) {
      jwksRequests += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: keys.map((key) => key.publicJwk) }));
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
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type KeycloakStandIn = Awaited<ReturnType<typeof startKeycloakStandIn>>;
