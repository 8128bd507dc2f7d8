import ms from 'ms';

/**
 * Milliseconds of a duration such as `30m`, `4h`, `7d`; undefined for anything else
 * (ms throws on an empty string and returns NaN for junk); a number without a unit is refused.
 */
export function parseDuration(text: string): number | undefined {
  // ms reads a bare number as milliseconds: REOPEN_WINDOW=3 would mean 3 ms, not what anyone meant.
  if (/^\s*[\d.]+\s*$/.test(text)) return undefined;
  try {
    const value = ms(text.trim() as ms.StringValue);
    return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}
