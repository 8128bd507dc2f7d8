import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';

export interface IdpSecrets {
  /** The realm's private signing key; the JWKS publishes its public part. */
  jwk: JWK;
  /** Signs the provider's cookies; never published. */
  cookieKey: string;
}

async function generate(): Promise<IdpSecrets> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return {
    jwk: { ...(await exportJWK(privateKey)), kid: `dev-${Date.now().toString(36)}`, alg: 'RS256', use: 'sig' },
    cookieKey: randomBytes(32).toString('base64url'),
  };
}

/**
 * The provider's secrets. Kept in a file when one is given, so tokens and sessions survive a
 * restart of `npm start`; generated per run otherwise (tests).
 */
export async function loadIdpSecrets(file?: string): Promise<IdpSecrets> {
  if (!file) return generate();
  try {
    const stored = JSON.parse(await readFile(file, 'utf8')) as Partial<IdpSecrets>;
    if (stored.jwk && stored.cookieKey) return stored as IdpSecrets;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && !(error instanceof SyntaxError)) throw error;
  }
  const secrets = await generate();
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(secrets), { mode: 0o600 });
  return secrets;
}
