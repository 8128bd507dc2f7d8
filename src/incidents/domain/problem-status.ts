import type { ProblemStatus } from '../data/problem.repository.js';

/** open → investigating → resolved → closed; open → resolved; resolved → investigating (reopen). */
const NEXT: Record<ProblemStatus, readonly ProblemStatus[]> = {
  open: ['investigating', 'resolved'],
  investigating: ['resolved'],
  resolved: ['investigating', 'closed'],
  closed: [],
};

export const allowedProblemTransitions = (from: ProblemStatus) => NEXT[from];
export const canMoveProblem = (from: ProblemStatus, to: ProblemStatus) => NEXT[from].includes(to);
export const acceptsIncidents = (status: ProblemStatus) => status === 'open' || status === 'investigating';
