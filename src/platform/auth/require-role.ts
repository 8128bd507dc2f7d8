import type { RequestHandler } from 'express';
import { Forbidden, Unauthorized, ServiceUnavailable } from '../http/problem.js';
import { IdentityProviderUnavailable, InvalidToken, type AuthUser } from './token-verifier.js';

/** `migrator` is the migration proxy's service account: it alone writes migrated copies' legacy fields. */
export type Role = 'agent' | 'manager' | 'admin' | 'intake' | 'migrator';
export type Verify = (token: string) => Promise<AuthUser>;

declare module 'express-serve-static-core' {
  interface Request {
    user?: AuthUser;
  }
}

// The scheme name is case-insensitive (RFC 9110 §11.1).
const bearer = /^Bearer +([A-Za-z0-9\-_.~+/]+=*)$/i;

/**
 * The caller behind an Authorization header; throws the 401 (or 503 when the identity provider
 * cannot be asked) as an HttpProblem. For handlers outside Express as well as the middleware.
 */
export async function userFromHeader(verify: Verify, header: string | undefined): Promise<AuthUser> {
  if (!header) throw Unauthorized('A bearer token is required');
  const match = bearer.exec(header);
  if (!match) throw Unauthorized('The Authorization header is not a bearer token');
  try {
    return await verify(match[1] as string);
  } catch (error) {
    if (error instanceof InvalidToken) throw Unauthorized(`Invalid token: ${error.message}`);
    if (error instanceof IdentityProviderUnavailable) throw ServiceUnavailable('The identity provider cannot be reached; try again shortly');
    throw error;
  }
}

/** Authenticates the bearer token; a missing or bad token is 401. */
export function authenticate(verify: Verify): RequestHandler {
  return async (req, _res, next) => {
    try {
      req.user = await userFromHeader(verify, req.headers.authorization);
      next();
    } catch (error) {
      next(error);
    }
  };
}

/** Throws 403 unless the user holds one of the roles (admin holds every role). */
export function assertRole(user: AuthUser | undefined, roles: readonly Role[]): void {
  const held = user?.roles ?? new Set<string>();
  if (!held.has('admin') && !roles.some((role) => held.has(role))) throw Forbidden(`This action needs one of the roles: ${roles.join(', ')}`);
}

/** Authenticates, then admits callers holding any of the roles (admin holds every role); otherwise 403. */
export function requireRole(verify: Verify, ...roles: [Role, ...Role[]]): RequestHandler[] {
  const allow: RequestHandler = (req, _res, next) => {
    try {
      assertRole(req.user, roles);
      next();
    } catch (error) {
      next(error);
    }
  };
  return [authenticate(verify), allow];
}
