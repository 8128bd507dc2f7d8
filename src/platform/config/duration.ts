import ms from 'ms';

/**
 * Milliseconds of a duration such as `30m`, `4h`, `7d`; undefined for anything else
 * (ms throws on an empty string and returns NaN for junk).
 */
export function parseDuration(text: string): number | undefined {
  try {
    const value = ms(text.trim() as ms.StringValue);
    return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}
