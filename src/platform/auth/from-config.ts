import { issuerUrl, keycloakBaseUrl, type Config } from '../config/index.js';
import type { OptionalCheck } from '../http/health.js';
import { createTokenVerifier } from './token-verifier.js';

const jwksUrl = (config: Config) => `${keycloakBaseUrl(config)}/realms/${config.KEYCLOAK_REALM}/protocol/openid-connect/certs`;

/** The verifier every service uses: the realm's JWKS at Keycloak's standard path. */
export function verifierFromConfig(config: Config) {
  return createTokenVerifier({
    issuer: issuerUrl(config),
    jwksUrl: jwksUrl(config),
    audience: config.KEYCLOAK_AUDIENCE,
    cooldownMs: config.JWKS_COOLDOWN_MS,
  });
}

/** Reported in readiness but not required: cached keys keep verifying while Keycloak restarts. */
export function identityProviderCheck(config: Config): OptionalCheck {
  return {
    optional: true,
    check: async () => {
      const response = await fetch(jwksUrl(config), { signal: AbortSignal.timeout(1_500) });
      if (!response.ok) throw new Error(`JWKS answered ${response.status}`);
    },
  };
}
