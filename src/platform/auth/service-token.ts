import { z } from 'zod';
import { keycloakBaseUrl, type Config } from '../config/index.js';

export interface ServiceTokenOptions {
  /** The realm's token endpoint, e.g. `<keycloak>/realms/helpdesk/protocol/openid-connect/token`. */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** How long one token request may take, connection to last byte; 5 s by default. */
  timeoutMs?: number;
  /** Clock in epoch milliseconds, for tests. */
  now?: () => number;
}

export interface ServiceTokenSource {
  /** A current access token of the client's service account; fetched only when the cached one is about to expire. */
  token(): Promise<string>;
}

const TokenResponse = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().positive(),
});

const OAuthError = z.object({ error: z.string(), error_description: z.string().optional() });

// A token is renewed this long before it expires, so one sent to a service does not expire in flight.
const RENEW_MARGIN_MS = 30_000;

/**
 * Access tokens of a confidential client's own service account (OAuth2 client credentials
 * grant), cached until shortly before they expire. Concurrent callers share one request;
 * a failed request is not remembered, so the next call asks again.
 */
export function serviceTokenSource(options: ServiceTokenOptions): ServiceTokenSource {
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 5_000;
  let cached: { token: string; renewAt: number } | undefined;
  let inFlight: Promise<string> | undefined;

  async function requestToken(): Promise<string> {
    const requestedAt = now();
    const body = await post();
    const lifetimeMs = body.expires_in * 1000;
    // Short-lived tokens would otherwise be renewed on every call: keep each for at least half its lifetime.
    cached = { token: body.access_token, renewAt: requestedAt + lifetimeMs - Math.min(RENEW_MARGIN_MS, lifetimeMs / 2) };
    return body.access_token;
  }

  async function post(): Promise<z.infer<typeof TokenResponse>> {
    const failed = (reason: string, cause?: unknown) =>
      new Error(`token request for client ${options.clientId} to ${options.tokenUrl} failed: ${reason}`, { cause });
    let response: Response;
    let text: string;
    try {
      response = await fetch(options.tokenUrl, {
        method: 'POST',
        headers: { authorization: basicAuth(options.clientId, options.clientSecret), accept: 'application/json' },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      // Duck-typed: fetch's errors may come from another realm (a test sandbox), where instanceof Error fails.
      const { name, cause } = (error ?? {}) as { name?: unknown; cause?: { message?: unknown } };
      if (name === 'TimeoutError') throw failed(`no answer within ${timeoutMs} ms`, error);
      throw failed(typeof cause?.message === 'string' ? cause.message : String(error), error);
    }
    const json = parseJson(text);
    if (!response.ok) {
      const oauth = OAuthError.safeParse(json);
      const detail = oauth.success ? `: ${oauth.data.error}${oauth.data.error_description ? ` (${oauth.data.error_description})` : ''}` : '';
      throw failed(`HTTP ${response.status}${detail}`);
    }
    const parsed = TokenResponse.safeParse(json);
    if (!parsed.success) throw failed(`HTTP ${response.status} without access_token and expires_in`);
    return parsed.data;
  }

  return {
    token() {
      if (cached && now() < cached.renewAt) return Promise.resolve(cached.token);
      inFlight ??= requestToken().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
  };
}

/**
 * A service account of ours at the configured realm's token endpoint: the migration proxy's
 * (MIGRATION_CLIENT_ID), or intake's (INTAKE_CLIENT_ID, the incidents service's client lookups).
 */
export function serviceTokenFromConfig(config: Config, account: 'migration' | 'intake' = 'migration'): ServiceTokenSource {
  return serviceTokenSource({
    tokenUrl: `${keycloakBaseUrl(config)}/realms/${config.KEYCLOAK_REALM}/protocol/openid-connect/token`,
    clientId: account === 'migration' ? config.MIGRATION_CLIENT_ID : config.INTAKE_CLIENT_ID,
    clientSecret: account === 'migration' ? config.MIGRATION_CLIENT_SECRET : config.INTAKE_CLIENT_SECRET,
  });
}

// RFC 6749 §2.3.1: id and secret are form-urlencoded before Base64; Keycloak and oidc-provider decode them so.
function basicAuth(clientId: string, clientSecret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
