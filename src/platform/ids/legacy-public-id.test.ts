import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { v7 as uuidv7, validate } from 'uuid';
import { legacyIdOf, legacyPublicId } from './legacy-public-id.js';

describe('public ids of legacy records', () => {
  it('round-trips every legacy id, per kind, as a valid UUID', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 48 - 1 }), fc.constantFrom('client' as const, 'order' as const), (legacyId, kind) => {
        const id = legacyPublicId(kind, legacyId);
        expect(validate(id)).toBe(true);
        expect(legacyIdOf(kind, id)).toBe(legacyId);
        expect(legacyIdOf(kind === 'client' ? 'order' : 'client', id)).toBeUndefined();
      }),
    );
  });

  it('sorts like the legacy ids, and before every natively created id', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 48 - 2 }), fc.integer({ min: 1, max: 2 ** 48 - 2 }), (a, b) => {
        const [first, second] = [legacyPublicId('client', a), legacyPublicId('client', b)];
        expect(Math.sign(first.localeCompare(second))).toBe(Math.sign(a - b));
        expect(first < uuidv7()).toBe(true);
      }),
    );
  });

  it('finds no legacy id in other ids, and refuses ids out of range', () => {
    expect(legacyIdOf('client', uuidv7())).toBeUndefined();
    expect(legacyIdOf('client', '00000000-0001-8000-8000-000000000000')).toBeUndefined();
    expect(() => legacyPublicId('client', 0)).toThrow(RangeError);
    expect(() => legacyPublicId('client', 2 ** 48)).toThrow(RangeError);
  });
});
