import { MAX_LEGACY_ID } from '../ids/legacy-public-id.js';
import { parseDuration } from '../config/duration.js';
import { z } from 'zod';

/**
 * Text Postgres can store: no NUL characters (text columns refuse them) and no lone UTF-16
 * surrogates (jsonb refuses them), so such input is a 400 here rather than a 500 there.
 */
export const safeText = (options: { min?: number; max: number; trim?: boolean }) => {
  const base = options.trim === false ? z.string() : z.string().trim();
  return base
    .min(options.min ?? 0)
    .max(options.max)
    .refine((text) => !text.includes('\u0000'), 'Must not contain NUL characters')
    .refine((text) => text.isWellFormed(), 'Must be well-formed Unicode');
};

/** A query parameter listing values: `?status=new,in_progress` or `?status=new&status=in_progress`. */
export const csv = <T extends z.ZodType<unknown, string>>(item: T) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((value) => (Array.isArray(value) ? value : [value]).flatMap((entry) => entry.split(',')).map((entry) => entry.trim()).filter(Boolean))
    .pipe(z.array(item).max(50));

/** A moment in a query string, ISO 8601 with offset. */
export const instant = z.iso.datetime({ offset: true }).transform((text) => new Date(text));

/** A positive duration such as 30m, 4h, 2d. */
export const durationParam = z.string().transform((text, ctx) => {
  const value = parseDuration(text);
  if (value === undefined || value > 366 * 86_400_000) {
    ctx.addIssue({ code: 'custom', message: 'Expected a duration such as 30m, 4h or 2d' });
    return z.NEVER;
  }
  return value;
});

/** `true`/`false` in a query string. */
export const booleanParam = z.enum(['true', 'false']).transform((text) => text === 'true');

/** Ids handed out by other services (the migration proxy's client and order ids). */
/** A legacy record's id (a positive whole number that fits a public id), in a body and in a query string. */
export const legacyId = z.number().int().min(1).max(MAX_LEGACY_ID);
export const legacyIdParam = z.string().regex(/^[1-9][0-9]{0,14}$/, 'Expected a legacy id (a positive whole number)').transform(Number).pipe(legacyId);

/** The digits of a phone number, which are what two spellings of one number (`+7 (912) 345-67-89`, `79123456789`) have in common. */
export const phoneDigits = (phone: string): string => phone.replace(/[^0-9]/g, '');

/** Fewer digits than this would match too many numbers to name one caller. */
const MIN_PHONE_SEARCH_DIGITS = 5;

/**
 * A phone number to search by, as a query parameter: digits with spaces, dashes, brackets, dots,
 * slashes and a leading +, as a phone may be stored; parsed to its digits.
 */
export const phoneSearchParam = z
  .string()
  .max(40)
  .regex(/^\+?[0-9 ()/.-]+$/, 'Expected a phone number: digits, optionally with spaces, dashes, brackets, dots, slashes and a leading +')
  .refine((text) => phoneDigits(text).length >= MIN_PHONE_SEARCH_DIGITS, `Expected at least ${MIN_PHONE_SEARCH_DIGITS} digits`)
  .transform(phoneDigits);

export const externalId = z.string().regex(/^[A-Za-z0-9:_.-]{1,100}$/, 'Expected an id of letters, digits and : _ . -');
