import { createRemoteJWKSet, jwtVerify, errors as joseErrors } from 'jose';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';

/** The caller as every service sees it, taken from a verified Keycloak access token. */
export interface AuthUser {
  /** Keycloak user id (`sub`). */
  id: string;
  username: string;
  name?: string;
  email?: string;
  /** The client the token was issued to (`azp`). */
  clientId?: string;
  /** Realm roles plus the API client's own roles (`resource_access[<audience>]`). */
  roles: ReadonlySet<string>;
}

export interface TokenVerifierOptions {
  issuer: string;
  /** Where the realm's JWKS is fetched; may differ from the issuer host inside a cluster. */
  jwksUrl: string;
  /** Required `aud`, and the client whose `resource_access` roles count. */
  audience: string;
  /** Minimum time between JWKS refetches triggered by an unknown `kid`. */
  cooldownMs: number;
}

export class InvalidToken extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'InvalidToken';
  }
}

/** The realm keys could not be fetched: our fault, not the caller's. */
export class IdentityProviderUnavailable extends Error {
  constructor(cause: unknown) {
    super('the identity provider cannot be reached', { cause });
    this.name = 'IdentityProviderUnavailable';
  }
}

const Roles = z.object({ roles: z.array(z.string()).default([]) });
// The claims we rely on, checked after the signature: a signed but malformed token is still refused.
const KeycloakClaims = z.object({
  sub: z.string().min(1).max(255),
  exp: z.number(),
  typ: z.string().optional(),
  azp: z.string().max(255).optional(),
  preferred_username: z.string().min(1).max(255).optional(),
  name: z.string().max(500).optional(),
  email: z.string().max(320).optional(),
  realm_access: Roles.optional(),
  resource_access: z.record(z.string(), Roles).optional(),
});

// Keycloak signs with RS256 by default; realms may switch to EC or PS keys. HMAC and
// `none` are never accepted for tokens checked against a public JWKS.
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** Verifies Keycloak access tokens against the realm JWKS; keys are cached and refetched on rotation. */
export function createTokenVerifier(options: TokenVerifierOptions) {
  const jwks = createRemoteJWKSet(new URL(options.jwksUrl), {
    cooldownDuration: options.cooldownMs,
    cacheMaxAge: 10 * 60_000,
    timeoutDuration: 5_000,
  });

  // A token seen before is not verified again until its expiry (at most a minute later):
  // agents send the same token for minutes, and a signature check costs more than the request.
  const verified = new LRUCache<string, AuthUser>({ max: 10_000, ttl: 60_000, ttlAutopurge: false });

  async function verify(token: string): Promise<AuthUser> {
    const known = verified.get(token);
    if (known) return known;
    const user = await verifyFully(token);
    verified.set(token, user.user, { ttl: Math.max(1, Math.min(60_000, user.expiresAt * 1000 - Date.now())) });
    return user.user;
  }

  async function verifyFully(token: string): Promise<{ user: AuthUser; expiresAt: number }> {
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, jwks, { issuer: options.issuer, audience: options.audience, algorithms: ALGORITHMS, requiredClaims: ['exp', 'sub'] }));
    } catch (error) {
      // Anything that is not jose's verdict on the token (a refused connection, a timeout) is the IdP being away.
      if (!(error instanceof joseErrors.JOSEError) || error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) {
        throw new IdentityProviderUnavailable(error);
      }
      throw new InvalidToken(describe(error));
    }
    const claims = KeycloakClaims.safeParse(payload);
    if (!claims.success) throw new InvalidToken('token claims are malformed');
    // Keycloak marks access tokens `typ: Bearer`; refresh and ID tokens are signed by the same keys.
    if (claims.data.typ !== 'Bearer') throw new InvalidToken(`token type ${claims.data.typ ?? '(none)'} is not an access token`);
    return { user: toUser(claims.data, options.audience), expiresAt: claims.data.exp };
  }

  /** Whether realm keys were ever fetched: until then no token can be verified. */
  const hasKeys = () => jwks.jwks() !== undefined;

  return Object.assign(verify, { hasKeys, reloadKeys: () => jwks.reload() });
}

export type TokenVerifier = ReturnType<typeof createTokenVerifier>;

function toUser(claims: z.infer<typeof KeycloakClaims>, apiClient: string): AuthUser {
  // Roles of other clients (account, a neighbouring app) grant nothing here.
  const roles = new Set([...(claims.realm_access?.roles ?? []), ...(claims.resource_access?.[apiClient]?.roles ?? [])]);
  return {
    id: claims.sub,
    username: claims.preferred_username ?? claims.sub,
    name: claims.name,
    email: claims.email,
    clientId: claims.azp,
    roles,
  };
}

function describe(error: InstanceType<typeof joseErrors.JOSEError>): string {
  if (error instanceof joseErrors.JWTExpired) return 'token expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `claim ${error.claim} is not acceptable`;
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'signature does not verify';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'signed by a key the realm does not publish';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'signature algorithm not allowed';
  return 'token is malformed';
}
