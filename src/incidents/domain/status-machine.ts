export const STATUSES = ['new', 'in_progress', 'waiting_customer', 'resolved', 'closed', 'cancelled'] as const;
export type Status = (typeof STATUSES)[number];

/**
 * new → in_progress → waiting_customer ⇄ in_progress → resolved → closed;
 * resolved → in_progress (reopen); any open state → cancelled.
 */
const NEXT: Record<Status, readonly Status[]> = {
  new: ['in_progress', 'cancelled'],
  in_progress: ['waiting_customer', 'resolved', 'cancelled'],
  waiting_customer: ['in_progress', 'cancelled'],
  resolved: ['in_progress', 'closed'],
  closed: [],
  cancelled: [],
};

export const OPEN_STATUSES: readonly Status[] = ['new', 'in_progress', 'waiting_customer'];

export const allowedTransitions = (from: Status): readonly Status[] => NEXT[from];
export const canTransition = (from: Status, to: Status): boolean => NEXT[from].includes(to);
export const isOpen = (status: Status): boolean => OPEN_STATUSES.includes(status);
