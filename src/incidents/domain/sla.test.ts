import { describe, expect, it } from '@jest/globals';
import { breaches, dueTimes, paused, reprioritised, resumed, type SlaClock, type SlaTargets } from './sla.js';

const targets: SlaTargets = {
  P1: { firstResponseMs: 15 * 60_000, resolutionMs: 4 * 3_600_000 },
  P2: { firstResponseMs: 3_600_000, resolutionMs: 8 * 3_600_000 },
  P3: { firstResponseMs: 4 * 3_600_000, resolutionMs: 48 * 3_600_000 },
  P4: { firstResponseMs: 24 * 3_600_000, resolutionMs: 120 * 3_600_000 },
};
const t0 = new Date('2026-11-23T10:00:00Z');
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);

function clockOf(overrides: Partial<SlaClock> = {}): SlaClock {
  return { status: 'new', priority: 'P1', created_at: t0, ...dueTimes(t0, 'P1', targets), first_responded_at: null, resolved_at: null, sla_paused_at: null, sla_paused_ms: 0, first_response_breached: false, resolution_breached: false, ...overrides };
}

describe('SLA clocks', () => {
  it('sets due times from the priority’s targets', () => {
    expect(dueTimes(t0, 'P1', targets)).toEqual({ first_response_due_at: at(15), resolution_due_at: at(240) });
  });

  it('breaches first response after its target unless answered in time', () => {
    expect(breaches(clockOf(), at(14))).toEqual({ firstResponse: false, resolution: false });
    expect(breaches(clockOf(), at(16))).toEqual({ firstResponse: true, resolution: false });
    expect(breaches(clockOf({ status: 'in_progress', first_responded_at: at(10) }), at(16)).firstResponse).toBe(false);
    expect(breaches(clockOf({ status: 'in_progress', first_responded_at: at(20) }), at(21)).firstResponse).toBe(true);
  });

  it('stops the clock while waiting for the customer and moves the due times by the pause', () => {
    const waiting = clockOf({ status: 'waiting_customer', first_responded_at: at(5), ...paused(at(60)) });
    expect(breaches(waiting, at(600)).resolution).toBe(false); // hours later, but the clock stopped at 60 min
    const back = { ...waiting, status: 'in_progress' as const, ...resumed(waiting, at(180)) };
    expect(back.resolution_due_at).toEqual(at(240 + 120));
    expect(back.first_response_due_at).toEqual(at(15)); // already met: not moved
    expect(breaches(back, at(359)).resolution).toBe(false);
    expect(breaches(back, at(361)).resolution).toBe(true);
  });

  it('a resolved incident is judged by when it was resolved, a cancelled one never breaches later', () => {
    expect(breaches(clockOf({ status: 'resolved', first_responded_at: at(1), resolved_at: at(200) }), at(10_000)).resolution).toBe(false);
    expect(breaches(clockOf({ status: 'resolved', first_responded_at: at(1), resolved_at: at(300) }), at(300)).resolution).toBe(true);
    expect(breaches(clockOf({ status: 'cancelled', first_responded_at: at(1) }), at(10_000))).toEqual({ firstResponse: false, resolution: false });
  });

  it('keeps a stored breach flag even if the due time later moves', () => {
    expect(breaches(clockOf({ resolution_breached: true }), at(0)).resolution).toBe(true);
  });

  it('a new priority applies its targets and keeps time already paused, whatever the targets were', () => {
    const withPause = clockOf({ status: 'in_progress', first_responded_at: at(5), resolution_due_at: at(240 + 30), sla_paused_ms: 30 * 60_000 });
    expect(reprioritised(withPause, 'P3', targets)).toEqual({ first_response_due_at: at(15), resolution_due_at: at(48 * 60 + 30) });
    expect(reprioritised(clockOf(), 'P2', targets)).toEqual({ first_response_due_at: at(60), resolution_due_at: at(480) });
    // The pause is stored, not inferred: targets changed since creation do not distort it.
    const createdUnderOldTargets = clockOf({ status: 'in_progress', first_responded_at: at(5), resolution_due_at: at(100), sla_paused_ms: 0 });
    expect(reprioritised(createdUnderOldTargets, 'P1', targets).resolution_due_at).toEqual(at(240));
  });

  it('resuming adds the pause to the stored total', () => {
    const waiting = clockOf({ status: 'waiting_customer', first_responded_at: at(1), ...paused(at(10)), sla_paused_ms: 5 * 60_000 });
    expect(resumed(waiting, at(40))).toMatchObject({ sla_paused_at: null, sla_paused_ms: 35 * 60_000, resolution_due_at: at(240 + 30) });
  });
});
