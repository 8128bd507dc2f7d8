export { createTokenVerifier, InvalidToken, IdentityProviderUnavailable, type AuthUser, type TokenVerifier, type TokenVerifierOptions } from './token-verifier.js';
export { assertRole, authenticate, requireRole, userFromHeader, type Role, type Verify } from './require-role.js';
export { verifierFromConfig, identityProviderCheck } from './from-config.js';
export { serviceTokenSource, serviceTokenFromConfig, type ServiceTokenSource, type ServiceTokenOptions } from './service-token.js';
