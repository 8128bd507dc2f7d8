/*
 * One id space for records that came from the legacy CRM. A legacy record is handed out under
 * a UUID that carries its legacy id, and its migrated copy is stored under that same UUID, so an
 * id a caller once received (and an incident stored) keeps working after migration, and the
 * proxy can tell from an id alone where an unmigrated record lives.
 *
 * Layout (a version 8 "custom" UUID, RFC 9562): 00000000-000K-8000-8000-LLLLLLLLLLLL, where K is
 * the kind of record and L the legacy id in 48 bits. Natively created records get UUIDv7 ids,
 * which start with a timestamp, so every legacy-born id sorts before every native one, and
 * legacy-born ids sort by legacy id: the order the legacy system pages in.
 */
export const LEGACY_KINDS = { client: 1, order: 2 } as const;
export type LegacyKind = keyof typeof LEGACY_KINDS;

export const MAX_LEGACY_ID = 2 ** 48 - 1;
const PATTERN = /^00000000-000([0-9a-f])-8000-8000-([0-9a-f]{12})$/;

export function legacyPublicId(kind: LegacyKind, legacyId: number): string {
  if (!Number.isSafeInteger(legacyId) || legacyId < 1 || legacyId > MAX_LEGACY_ID) throw new RangeError(`legacy id out of range: ${legacyId}`);
  return `00000000-000${LEGACY_KINDS[kind].toString(16)}-8000-8000-${legacyId.toString(16).padStart(12, '0')}`;
}

/** The legacy id inside a public id of this kind, or undefined for any other id. */
export function legacyIdOf(kind: LegacyKind, publicId: string): number | undefined {
  const match = PATTERN.exec(publicId.toLowerCase());
  if (!match || Number.parseInt(match[1] as string, 16) !== LEGACY_KINDS[kind]) return undefined;
  const legacyId = Number.parseInt(match[2] as string, 16);
  return legacyId >= 1 ? legacyId : undefined;
}
