import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { allowedTransitions, canTransition, isOpen, STATUSES, type Status } from './status-machine.js';

describe('the incident status machine', () => {
  it('allows exactly the transitions of the design', () => {
    const allowed = STATUSES.flatMap((from) => allowedTransitions(from).map((to) => `${from}→${to}`)).sort();
    expect(allowed).toEqual(
      [
        'new→in_progress',
        'in_progress→waiting_customer',
        'waiting_customer→in_progress',
        'in_progress→resolved',
        'resolved→closed',
        'resolved→in_progress',
        'new→cancelled',
        'in_progress→cancelled',
        'waiting_customer→cancelled',
      ].sort(),
    );
  });

  it('along random walks, a move is allowed exactly when the design lists it, and final states stay final', () => {
    const designed = new Set(['new→in_progress', 'in_progress→waiting_customer', 'waiting_customer→in_progress', 'in_progress→resolved', 'resolved→closed', 'resolved→in_progress', 'new→cancelled', 'in_progress→cancelled', 'waiting_customer→cancelled']);
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...STATUSES), { maxLength: 40 }), (requests) => {
        let status: Status = 'new';
        for (const to of requests) {
          expect(canTransition(status, to)).toBe(designed.has(`${status}→${to}`));
          if (canTransition(status, to)) status = to;
        }
        if (status === 'closed' || status === 'cancelled') expect(allowedTransitions(status)).toEqual([]);
      }),
    );
  });

  it('every open state can be cancelled and no final state is open', () => {
    for (const status of STATUSES) expect(canTransition(status, 'cancelled')).toBe(isOpen(status));
  });
});
