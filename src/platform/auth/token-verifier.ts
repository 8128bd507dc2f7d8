import { createRemoteJWKSet, jwtVerify, errors as joseErrors, type JWTPayload } from 'jose';

/** The caller as every service sees it, taken from a verified Keycloak access token. */
export interface AuthUser {
  /** Keycloak user id (`sub`). */
  id: string;
  username: string;
  name?: string;
  email?: string;
  /** The client the token was issued to (`azp`). */
  clientId?: string;
  /** Realm roles plus roles of every client in `resource_access`. */
  roles: ReadonlySet<string>;
}

export interface TokenVerifierOptions {
  issuer: string;
  /** Where the realm's JWKS is fetched; may differ from the issuer host inside a cluster. */
  jwksUrl: string;
  audience?: string;
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

interface KeycloakClaims extends JWTPayload {
  typ?: string;
  azp?: string;
  preferred_username?: string;
  name?: string;
  email?: string;
  realm_access?: { roles?: string[] };
  resource_access?: Record<string, { roles?: string[] }>;
}

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

  return async function verify(token: string): Promise<AuthUser> {
    let payload: KeycloakClaims;
    try {
      ({ payload } = await jwtVerify<KeycloakClaims>(token, jwks, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: ALGORITHMS,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      // Anything that is not jose's verdict on the token (a refused connection, a timeout) is the IdP being away.
      if (!(error instanceof joseErrors.JOSEError) || error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) {
        throw new IdentityProviderUnavailable(error);
      }
      throw new InvalidToken(describe(error));
    }
    // Keycloak marks access tokens `typ: Bearer`; refresh and ID tokens are signed by the same keys.
    if (payload.typ !== 'Bearer') throw new InvalidToken(`token type ${payload.typ ?? '(none)'} is not an access token`);
    return toUser(payload);
  };
}

function toUser(payload: KeycloakClaims): AuthUser {
  const roles = new Set(payload.realm_access?.roles ?? []);
  for (const client of Object.values(payload.resource_access ?? {})) for (const role of client.roles ?? []) roles.add(role);
  return {
    id: payload.sub as string,
    username: payload.preferred_username ?? (payload.sub as string),
    name: payload.name,
    email: payload.email,
    clientId: payload.azp,
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
