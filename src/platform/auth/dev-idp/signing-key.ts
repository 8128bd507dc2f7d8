import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';

async function generate(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: `dev-${Date.now().toString(36)}`, alg: 'RS256', use: 'sig' };
}

/**
 * The realm's signing key. Kept in a file when one is given, so tokens survive a restart of
 * `npm start`; generated per run otherwise (tests).
 */
export async function loadSigningKey(file?: string): Promise<JWK> {
  if (!file) return generate();
  try {
    return JSON.parse(await readFile(file, 'utf8')) as JWK;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const key = await generate();
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify(key), { mode: 0o600 });
    return key;
  }
}
