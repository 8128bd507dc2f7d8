import { isOpen, type Status } from './status-machine.js';

export const PRIORITIES = ['P1', 'P2', 'P3', 'P4'] as const;
export type Priority = (typeof PRIORITIES)[number];
export type SlaTargets = Record<Priority, { firstResponseMs: number; resolutionMs: number }>;

export interface SlaClock {
  status: Status;
  priority: Priority;
  created_at: Date;
  first_response_due_at: Date;
  resolution_due_at: Date;
  first_responded_at: Date | null;
  resolved_at: Date | null;
  sla_paused_at: Date | null;
  /** Time the clock stood still so far (waiting for the customer, resolved before a reopen). */
  sla_paused_ms: number;
  first_response_breached: boolean;
  resolution_breached: boolean;
}

const plus = (date: Date, ms: number) => new Date(date.getTime() + ms);

/** Due times of a new incident: around the clock from its creation. */
export function dueTimes(createdAt: Date, priority: Priority, targets: SlaTargets) {
  return {
    first_response_due_at: plus(createdAt, targets[priority].firstResponseMs),
    resolution_due_at: plus(createdAt, targets[priority].resolutionMs),
  };
}

/** A new priority means its targets from creation, plus the time the clock already stood still. */
export function reprioritised(clock: SlaClock, priority: Priority, targets: SlaTargets) {
  return {
    first_response_due_at: clock.first_responded_at ? clock.first_response_due_at : plus(clock.created_at, targets[priority].firstResponseMs + clock.sla_paused_ms),
    resolution_due_at: plus(clock.created_at, targets[priority].resolutionMs + clock.sla_paused_ms),
  };
}

/** Waiting for the customer, or resolved, stops the clock. */
export const paused = (now: Date) => ({ sla_paused_at: now });

/** Going back to work restarts it: every due time not yet met moves by the pause. */
export function resumed(clock: SlaClock, now: Date) {
  if (!clock.sla_paused_at) return {};
  const pauseMs = Math.max(0, now.getTime() - clock.sla_paused_at.getTime());
  return {
    sla_paused_at: null,
    sla_paused_ms: clock.sla_paused_ms + pauseMs,
    resolution_due_at: plus(clock.resolution_due_at, pauseMs),
    first_response_due_at: clock.first_responded_at ? clock.first_response_due_at : plus(clock.first_response_due_at, pauseMs),
  };
}

/**
 * Whether each target is missed at `now`. A flag once stored stays; while paused the clock
 * reads the moment it stopped.
 */
export function breaches(clock: SlaClock, now: Date): { firstResponse: boolean; resolution: boolean } {
  const running = clock.sla_paused_at ?? now;
  const open = isOpen(clock.status);
  const firstResponse =
    clock.first_response_breached ||
    (clock.first_responded_at ? clock.first_responded_at > clock.first_response_due_at : open && running > clock.first_response_due_at);
  const resolution =
    clock.resolution_breached || (clock.resolved_at ? clock.resolved_at > clock.resolution_due_at : open && running > clock.resolution_due_at);
  return { firstResponse, resolution };
}
