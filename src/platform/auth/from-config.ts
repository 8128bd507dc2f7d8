import { issuerUrl, keycloakBaseUrl, type Config } from '../config/index.js';
import type { Checks } from '../http/health.js';
import { createTokenVerifier, type TokenVerifier } from './token-verifier.js';

const jwksUrl = (config: Config) => `${keycloakBaseUrl(config)}/realms/${config.KEYCLOAK_REALM}/protocol/openid-connect/certs`;

/** The verifier every service uses: the realm's JWKS at Keycloak's standard path. */
export function verifierFromConfig(config: Config): TokenVerifier {
  return createTokenVerifier({
    issuer: issuerUrl(config),
    jwksUrl: jwksUrl(config),
    audience: config.KEYCLOAK_AUDIENCE,
    cooldownMs: config.JWKS_COOLDOWN_MS,
  });
}

/**
 * The identity provider in readiness. Until the realm keys were fetched once, no token can
 * be verified, so the service is not ready; afterwards cached keys keep verifying while
 * Keycloak restarts, so its absence is reported but does not take the service out.
 */
export function identityProviderCheck(config: Config, verifier: TokenVerifier): Checks {
  const check = async () => {
    const response = await fetch(jwksUrl(config), { signal: AbortSignal.timeout(1_500) });
    if (!response.ok) throw new Error(`JWKS answered ${response.status}`);
    if (!verifier.hasKeys()) await verifier.reloadKeys();
  };
  return { identity_provider: verifier.hasKeys() ? { optional: true, check } : check };
}
