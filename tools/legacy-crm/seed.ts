/**
 * The raw material of the simulator's data: a seeded PRNG and the name lists. Every record is a
 * pure function of its index, so a million customers cost nothing until somebody reads them and
 * two simulators with the same sizes always agree.
 */

const SEED = 0x1e6ac7;

/** The PRNG streams, so a customer and an order with the same index do not share draws. */
export const Stream = { customer: 1, order: 2 } as const;

/** mulberry32: tiny, fast and good enough for test data. */
function mulberry32(state: number): () => number {
  let a = state | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Scrambles (stream, index) first: mulberry32 seeded with neighbouring integers starts out correlated. */
function mix(stream: number, index: number): number {
  let h = Math.imul(index ^ Math.imul(stream, 0x27d4eb2d) ^ SEED, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** The random draws of one record. */
export function randomFor(stream: number, index: number): () => number {
  return mulberry32(mix(stream, index));
}

export function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)] as T;
}

export function between(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

// Accents, apostrophes, hyphens and inner capitals on purpose: the proxy's accent-insensitive
// search is tested against a legacy system that only lower-cases.
export const FIRST_NAMES = [
  'José', 'Zoë', 'Jürgen', 'Ana-María', 'François', 'Søren', 'Małgorzata', 'Renée', 'Björn', 'Çağla',
  'Łukasz', 'Inês', 'Chloé', 'Mátyás', 'Siobhán', 'John', 'Mary', 'Anna', 'Peter', 'Maria',
  'Thomas', 'Laura', 'David', 'Sarah', 'Michael', 'Emma', 'Lukas', 'Sofia', 'Jan', 'Eva',
  'Mei', 'Olga',
] as const;

export const LAST_NAMES = [
  'Núñez', "O'Brien", 'Müller', 'López', 'García', 'Fernández', 'Weiß', 'Dupont', 'Novák', 'Kowalski',
  'Jensen', 'Søndergaard', 'Öztürk', 'Łukasiewicz', 'Gómez', 'Sánchez', 'McDonald', 'MacLeod', 'van der Berg', 'DeLuca',
  'Smith', 'Schmidt', 'Rossi', 'Brown', 'Ivanov', 'Nguyen', 'Chen', 'Svensson', 'Meyer', 'Martin',
  'Bernard', 'Fischer', 'Taylor', 'Wagner', 'Dubois', 'Kim', 'Silva', 'Costa', 'Ågren', 'Żak',
] as const;

export const PHONE_AREAS = [
  { country: '+49', areas: ['30', '40', '89', '69', '221'] },
  { country: '+43', areas: ['1', '316', '662'] },
  { country: '+34', areas: ['91', '93', '96'] },
  { country: '+33', areas: ['1', '4', '5'] },
  { country: '+44', areas: ['20', '161', '131'] },
  { country: '+1', areas: ['212', '415', '312'] },
] as const;

const SPELLED_OUT: Record<string, string> = { ß: 'ss', ø: 'o', æ: 'ae', ł: 'l', đ: 'd', œ: 'oe' };

/** The mailbox part a legacy system would have made from a name: ASCII only. */
export function mailboxPart(name: string): string {
  return name
    .toLowerCase()
    .replace(/[ßøæłđœ]/g, (letter) => SPELLED_OUT[letter] ?? '')
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[^a-z0-9-]/g, '');
}

/** Legacy timestamps: UTC, second precision, no milliseconds. */
export function legacyTimestamp(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().slice(0, 19) + 'Z';
}
