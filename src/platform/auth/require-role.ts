import type { RequestHandler } from 'express';
import { Forbidden, Unauthorized, ServiceUnavailable } from '../http/problem.js';
import { IdentityProviderUnavailable, InvalidToken, type AuthUser } from './token-verifier.js';

export type Role = 'agent' | 'manager' | 'admin' | 'intake';
export type Verify = (token: string) => Promise<AuthUser>;

declare module 'express-serve-static-core' {
  interface Request {
    user?: AuthUser;
  }
}

// The scheme name is case-insensitive (RFC 9110 §11.1).
const bearer = /^Bearer +([A-Za-z0-9\-_.~+/]+=*)$/i;

/** Authenticates the bearer token; a missing or bad token is 401. */
export function authenticate(verify: Verify): RequestHandler {
  return async (req, _res, next) => {
    const header = req.headers.authorization;
    if (!header) return next(Unauthorized('A bearer token is required'));
    const match = bearer.exec(header);
    if (!match) return next(Unauthorized('The Authorization header is not a bearer token'));
    try {
      req.user = await verify(match[1] as string);
      next();
    } catch (error) {
      if (error instanceof InvalidToken) return next(Unauthorized(`Invalid token: ${error.message}`));
      if (error instanceof IdentityProviderUnavailable) return next(ServiceUnavailable('The identity provider cannot be reached; try again shortly'));
      next(error);
    }
  };
}

/** Authenticates, then admits callers holding any of the roles (admin holds every role); otherwise 403. */
export function requireRole(verify: Verify, ...roles: [Role, ...Role[]]): RequestHandler[] {
  const allow: RequestHandler = (req, _res, next) => {
    const held = req.user?.roles ?? new Set<string>();
    if (held.has('admin') || roles.some((role) => held.has(role))) return next();
    next(Forbidden(`This action needs one of the roles: ${roles.join(', ')}`));
  };
  return [authenticate(verify), allow];
}
