import { HttpProblem } from '../../platform/http/index.js';
import type { LegacyKind } from '../../platform/ids/legacy-public-id.js';
import type { LegacyUnavailable } from '../legacy/legacy-gateway.js';
import { UpstreamFailed } from '../upstream/service-client.js';

/** The edge's own answers when legacy or our services fail it. */
export const LegacyFailed = (kind: LegacyKind, error: LegacyUnavailable) =>
  error.outcome === 'timeout'
    ? new HttpProblem(504, 'Legacy CRM timeout', `The legacy CRM did not answer in time for this ${kind}, and it is not cached`, { type: 'https://figdesk.dev/problems/legacy-unavailable', headers: { 'Retry-After': '5' } })
    : new HttpProblem(503, 'Legacy CRM unavailable', `The legacy CRM cannot serve this ${kind} now (${error.outcome}), and it is not cached`, { type: 'https://figdesk.dev/problems/legacy-unavailable', headers: { 'Retry-After': '5' } });

export const ReadOnlyInLegacyOnly = (plural: string) =>
  new HttpProblem(409, 'Read-only in legacy-only mode', `${plural} are served by the legacy CRM alone (route mode legacy-only), which we cannot write to; an admin can switch the mode back to merge`, {
    type: 'https://figdesk.dev/problems/route-mode',
  });

export const MigrationRefused = (plural: string, kind: LegacyKind, legacyId: number) =>
  new HttpProblem(502, 'Bad gateway', `Our ${plural} service did not take the copy of legacy ${kind} ${legacyId}; nothing was changed`, { type: 'https://figdesk.dev/problems/migration-failed' });

const UpstreamProblem = (service: string) =>
  new HttpProblem(502, 'Bad gateway', `The ${service} service did not answer as it should; the list cannot be merged without it`, { type: 'https://figdesk.dev/problems/upstream' });

/** Our service failing a merge route is a 502: legacy alone cannot say which records migrated. */
export async function withUpstreamProblems<T>(service: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof UpstreamFailed) throw UpstreamProblem(service);
    throw error;
  }
}
