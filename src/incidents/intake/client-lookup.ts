import type { ServiceTokenSource } from '../../platform/auth/service-token.js';

export type FindClientByPhone = (phone: string) => Promise<{ clientId: string | null; checked: boolean }>;

/**
 * Finds the client a phone number belongs to through the edge's merged client search, so a
 * client still only in the legacy CRM is found too. A failure, or an answer missing a source, is
 * "not checked", never an error: the message is handled with what was found, and the next
 * message tries again.
 */
export function clientLookupThroughEdge(options: { edgeUrl: () => string; token: ServiceTokenSource; timeoutMs: number; onOutcome?: (outcome: 'found' | 'none' | 'failed', error?: unknown) => void }): FindClientByPhone {
  return async (phone) => {
    try {
      const url = new URL('/api/v1/clients', options.edgeUrl());
      url.searchParams.set('phone', phone);
      url.searchParams.set('limit', '2');
      const response = await fetch(url, { headers: { authorization: `Bearer ${await options.token.token()}` }, signal: AbortSignal.timeout(options.timeoutMs) });
      if (!response.ok) throw new Error(`the edge answered ${response.status}`);
      const body = (await response.json()) as { data: { id: string }[]; meta?: { sources?: Record<string, string> } };
      // Two clients with one phone: linking either would be a guess, so neither is linked.
      const clientId = body.data.length === 1 ? (body.data[0] as { id: string }).id : null;
      // The edge answers 200 with what it has when a source fails (the legacy CRM down): "nobody
      // has this phone" is then not known, and the next message must ask again.
      const failed = Object.entries(body.meta?.sources ?? {}).filter(([, state]) => state !== 'ok' && state !== 'skipped');
      if (failed.length) {
        options.onOutcome?.('failed', new Error(`the edge's client search is incomplete: ${failed.map(([source, state]) => `${source} ${state}`).join(', ')}`));
        return { clientId, checked: false };
      }
      options.onOutcome?.(clientId ? 'found' : 'none');
      return { clientId, checked: true };
    } catch (error) {
      options.onOutcome?.('failed', error);
      return { clientId: null, checked: false };
    }
  };
}
