import { LRUCache } from 'lru-cache';
import pThrottle from 'p-throttle';

type Task = () => Promise<void>;
/** Runs a send when the channel's limits allow it. */
export type RateLimit = (recipient: string, send: Task) => Promise<void>;

const passThrough: RateLimit = (_recipient, send) => send();

/** At most `perSecond` sends a second overall (0: no limit). */
function overall(perSecond: number): (send: Task) => Promise<void> {
  if (perSecond <= 0) return (send) => send();
  const throttle = pThrottle({ limit: perSecond, interval: 1_000, strict: true });
  return throttle((send: Task) => send());
}

/**
 * Telegram's limits: about 30 messages a second overall and one a second per chat. Each chat
 * gets its own queue (kept for the chats active lately), so one busy chat never holds up others.
 */
export function telegramRateLimit(options: { perSecond: number; chatIntervalMs: number }): RateLimit {
  const global = overall(options.perSecond);
  if (options.chatIntervalMs <= 0) return options.perSecond > 0 ? (_recipient, send) => global(send) : passThrough;
  const chats = new LRUCache<string, (send: Task) => Promise<void>>({ max: 10_000, ttl: Math.max(60_000, options.chatIntervalMs * 10), updateAgeOnGet: true });
  return (chatId, send) => {
    let chat = chats.get(chatId);
    if (!chat) {
      chat = pThrottle({ limit: 1, interval: options.chatIntervalMs, strict: true })((task: Task) => task());
      chats.set(chatId, chat);
    }
    return chat(() => global(send));
  };
}

/** SMS: one gateway-wide rate (a Twilio long code sends one a second). */
export function smsRateLimit(perSecond: number): RateLimit {
  const global = overall(perSecond);
  return (_recipient, send) => global(send);
}
