import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Compares two secrets in time that does not depend on where they differ (nor on their length). */
export function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Twilio's request signature: HMAC-SHA1, keyed with the auth token, over the full public URL
 * followed by every POST parameter's name and value in name order, base64-encoded. Written
 * here rather than taken from the `twilio` package, which would bring a whole REST client
 * (axios, jsonwebtoken, …) for these few lines; the tests check it against that package.
 */
export function twilioSignature(authToken: string, url: string, params: Record<string, string | string[]>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((text, name) => {
      const value = params[name] as string | string[];
      // A repeated parameter counts each distinct value once, in order, as the twilio library has it.
      return text + (Array.isArray(value) ? [...new Set(value)].sort().map((item) => name + item).join('') : name + value);
    }, url);
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}
