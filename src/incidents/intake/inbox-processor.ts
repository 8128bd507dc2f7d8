import type { Update } from '@grammyjs/types';
import type { Logger } from '../../platform/logging/index.js';
import { startWorkLoop, type WorkLoop } from '../../platform/lifecycle/index.js';
import { findConversations, recentIncidentsOf, type ConversationRow } from '../data/conversation.repository.js';
import { claimInboxItems, completeInboxItems, failInboxItem, type InboxItem } from '../data/inbox.repository.js';
import type { IncidentsDeps } from '../domain/deps.js';
import { inTransaction } from '../domain/unit-of-work.js';
import type { FindClientByPhone } from './client-lookup.js';
import { handleInbound, RECENT_INCIDENTS, reporterActor, type ClientLookup, type ConversationSettings, type IntakeOutcome } from './conversation.js';
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

const BATCH = 100;
// Under a steady stream, messages gather for this long into one batch rather than a round each:
// a round's fixed statements are then shared. A chat waits at most this much longer for its answer.
const GATHER_MS = 20;
const LEASE_MS = 60_000;
/** 1 s, 2 s, 4 s … up to 10 minutes between attempts at a message that failed. */
const backoffMs = (attempts: number) => Math.min(600_000, 1_000 * 2 ** Math.max(0, attempts - 1));

function readItem(item: InboxItem, settings: ConversationSettings): InboundMessage {
  if (item.channel === 'telegram') return readTelegramUpdate(item.payload as Update);
  if (item.channel === 'sms') return readSms(item.payload as Record<string, string | string[]>, settings.language);
  return { kind: 'ignored', reason: `no handler for ${item.channel} in the inbox` };
}

type Readable = { item: InboxItem; message: Exclude<InboundMessage, { kind: 'ignored' }> };

/**
 * Handles the inbox. The messages claimed in a round (one per conversation) are handled in one
 * transaction, which also marks them done: a crash before the commit leaves them pending, and
 * one after it leaves nothing to redo. A batch costs a handful of statements besides each
 * message's own writes, where a transaction per message cost eight round trips.
 * When a batch fails, each of its messages is tried in a transaction of its own, so one bad
 * message fails alone; it is retried with backoff and, after `maxAttempts`, left failed for an admin.
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

  const ignored = (item: InboxItem, reason: string) => {
    logger.info({ inbox_id: item.id, channel: item.channel, reason }, 'inbox message ignored');
  };

  /** Messages of different conversations in one transaction, which also marks them handled. */
  async function handleBatch(items: InboxItem[]): Promise<void> {
    const readable: Readable[] = [];
    const skipped: InboxItem[] = [];
    for (const item of items) {
      const message = readItem(item, options.settings);
      if (message.kind === 'ignored') {
        ignored(item, message.reason);
        skipped.push(item);
      } else readable.push({ item, message });
    }
    const conversations = await findConversations(deps.db.primary, readable.map(({ message }) => conversationOf(message.sender)));
    const lookups = await Promise.all(readable.map(({ message }) => lookupFor(message, conversations.get(conversationOf(message.sender)))));
    const outcomes = await inTransaction(deps, null, async (batch) => {
      const recent = await recentIncidentsOf(batch.trx, readable.map(({ message }) => message.sender), RECENT_INCIDENTS);
      const handled: { item: InboxItem; outcome: IntakeOutcome; incidentId: string | null }[] = [];
      for (const [index, { item, message }] of readable.entries()) {
        const key = conversationOf(message.sender);
        const lookup = lookups[index];
        const result = await handleInbound(batch.as(reporterActor(message.sender)), deps, message, options.settings, { conversation: conversations.get(key), recent: recent.get(key) ?? [], ...(lookup ? { lookup } : {}) });
        handled.push({ item, outcome: result.outcome, incidentId: result.incidentId ?? null });
      }
      for (const item of skipped) handled.push({ item, outcome: 'ignored', incidentId: null });
      await completeInboxItems(batch.trx, handled.map(({ item, outcome, incidentId }) => ({ id: item.id, state: outcome === 'ignored' ? 'ignored' : 'done', incident_id: incidentId })), batch.now);
      return handled;
    });
    for (const { item, outcome } of outcomes) metrics.messages.inc({ channel: item.channel, outcome });
  }

  /** One message in a transaction of its own; a failure is retried with backoff, or left failed. */
  async function handleOne(item: InboxItem): Promise<void> {
    try {
      await handleBatch([item]);
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
    minRoundIntervalMs: GATHER_MS,
    logger,
    async round() {
      // One message per conversation per round (see claimInboxItems), so a batch never holds two
      // messages whose order matters.
      const items = await claimInboxItems(deps.db.primary, deps.clock(), LEASE_MS, BATCH);
      if (items.length > 1) {
        try {
          await handleBatch(items);
          return items.length;
        } catch (error) {
          logger.warn({ err: error, messages: items.length }, 'an inbox batch failed; its messages are tried one by one');
        }
      }
      await Promise.all(items.map(handleOne));
      return items.length;
    },
  });
}
