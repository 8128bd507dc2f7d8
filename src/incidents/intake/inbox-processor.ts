import type { Update } from '@grammyjs/types';
import type { Logger } from '../../platform/logging/index.js';
import { startWorkLoop, type WorkLoop } from '../../platform/lifecycle/index.js';
import { findConversation, type ConversationRow } from '../data/conversation.repository.js';
import { claimInboxItems, completeInboxItem, failInboxItem, type InboxItem } from '../data/inbox.repository.js';
import type { IncidentsDeps } from '../domain/deps.js';
import { inTransaction } from '../domain/unit-of-work.js';
import type { FindClientByPhone } from './client-lookup.js';
import { handleInbound, reporterActor, type ClientLookup, type ConversationSettings } from './conversation.js';
import { conversationOf, type InboundMessage } from './inbound-message.js';
import type { IntakeMetrics } from './intake-metrics.js';
import { readSms } from './sms/sms-message.js';
import { readTelegramUpdate } from './telegram/telegram-update.js';

export interface InboxProcessorOptions {
  settings: ConversationSettings;
  findClient: FindClientByPhone;
  maxAttempts: number;
  idleMs: number;
  metrics: IntakeMetrics;
  logger: Logger;
}

const BATCH = 50;
const LEASE_MS = 60_000;
/** 1 s, 2 s, 4 s … up to 10 minutes between attempts at a message that failed. */
const backoffMs = (attempts: number) => Math.min(600_000, 1_000 * 2 ** Math.max(0, attempts - 1));

function readItem(item: InboxItem, settings: ConversationSettings): InboundMessage {
  if (item.channel === 'telegram') return readTelegramUpdate(item.payload as Update);
  if (item.channel === 'sms') return readSms(item.payload as Record<string, string | string[]>, settings.language);
  return { kind: 'ignored', reason: `no handler for ${item.channel} in the inbox` };
}

/**
 * Handles the inbox: each message in its own transaction, which also marks it done, so a
 * crash before the commit leaves it pending and a crash after it leaves nothing to redo.
 * A failing message is retried with backoff and, after `maxAttempts`, left failed for an admin.
 */
export function startInboxProcessor(deps: IncidentsDeps, options: InboxProcessorOptions): WorkLoop {
  const { metrics, logger } = options;

  // A shared phone, or a message from a phone not checked yet (an SMS's number, a Telegram chat's
  // shared phone whose lookup failed): ask the edge which client it is.
  async function lookupFor(message: InboundMessage, known: ConversationRow | undefined): Promise<ClientLookup | undefined> {
    if (message.kind === 'contact') return { phone: message.phone, ...(await options.findClient(message.phone)) };
    if (message.kind !== 'text') return undefined;
    if (known?.client_checked_at) return undefined;
    const phone = message.sender.channel === 'sms' ? message.sender.address : known?.phone;
    return phone ? { phone, ...(await options.findClient(phone)) } : undefined;
  }

  async function handle(item: InboxItem): Promise<void> {
    try {
      const message = readItem(item, options.settings);
      if (message.kind === 'ignored') {
        logger.info({ inbox_id: item.id, channel: item.channel, reason: message.reason }, 'inbox message ignored');
        await completeInboxItem(deps.db.primary, item.id, { state: 'ignored', at: deps.clock() });
        metrics.messages.inc({ channel: item.channel, outcome: 'ignored' });
        return;
      }
      const conversation = await findConversation(deps.db.primary, conversationOf(message.sender));
      const lookup = await lookupFor(message, conversation);
      const result = await inTransaction(deps, reporterActor(message.sender), async (uow) => {
        const handled = await handleInbound(uow, deps, message, options.settings, { conversation, lookup });
        await completeInboxItem(uow.trx, item.id, { state: handled.outcome === 'ignored' ? 'ignored' : 'done', incident_id: handled.incidentId ?? null, at: uow.now });
        return handled;
      });
      metrics.messages.inc({ channel: item.channel, outcome: result.outcome });
    } catch (error) {
      const retryAt = item.attempts < options.maxAttempts ? new Date(deps.clock().getTime() + backoffMs(item.attempts)) : null;
      await failInboxItem(deps.db.primary, item.id, error instanceof Error ? error.message : String(error), retryAt);
      metrics.messages.inc({ channel: item.channel, outcome: retryAt ? 'retried' : 'failed' });
      logger[retryAt ? 'warn' : 'error']({ err: error, inbox_id: item.id, channel: item.channel, attempts: item.attempts, retry_at: retryAt }, retryAt ? 'inbox message failed; will retry' : 'inbox message failed for good; an admin can retry it');
    }
  }

  return startWorkLoop({
    name: 'inbox processor',
    idleMs: options.idleMs,
    logger,
    async round() {
      // One message per conversation per round (see claimInboxItems), so these run side by side safely.
      const items = await claimInboxItems(deps.db.primary, deps.clock(), LEASE_MS, BATCH);
      await Promise.all(items.map(handle));
      return items.length;
    },
  });
}
