import type { Logger } from '../../platform/logging/index.js';
import { startWorkLoop, type WorkLoop } from '../../platform/lifecycle/index.js';
import { claimNotifications, markFailed, markSent, type NotificationChannel, type NotificationRow } from '../data/notification.repository.js';
import { writeComment } from '../domain/add-comment.js';
import type { IncidentsDeps } from '../domain/deps.js';
import { loadIncident } from '../domain/load.js';
import { inTransaction } from '../domain/unit-of-work.js';
import { SendFailed, type ChannelSender } from './channel-senders.js';
import type { NotificationMetrics } from './notifications-metrics.js';
import type { RateLimit } from './rate-limits.js';
import { render } from './templates.js';

export interface NotificationChannelSetup {
  send: ChannelSender;
  rateLimit: RateLimit;
}

export interface NotificationWorkerOptions {
  /** The channels configured here; messages for others wait until a worker that has them runs. */
  channels: Partial<Record<NotificationChannel, NotificationChannelSetup>>;
  maxAttempts: number;
  retryBaseMs: number;
  /** How long a claimed batch is this worker's; after that (it died) another worker sends it. */
  leaseMs: number;
  idleMs: number;
  batchSize?: number;
  metrics: NotificationMetrics;
  logger: Logger;
}

const SYSTEM = { id: 'figdesk', username: 'figdesk', name: 'figdesk', kind: 'system' as const };

/**
 * Sends the queued messages to reporters: at least once (a message is marked sent only after the
 * gateway took it), within each channel's rate limits, retried with exponential backoff, and dead
 * after `maxAttempts` or a refusal no retry can change. A dead message leaves an internal note on
 * its incident, so the agent knows the reporter did not hear from us.
 */
export function startNotificationWorker(deps: IncidentsDeps, options: NotificationWorkerOptions): WorkLoop {
  const { metrics, logger } = options;
  const channels = Object.keys(options.channels) as NotificationChannel[];

  const retryDelay = (attempts: number, error: unknown) =>
    Math.max(error instanceof SendFailed && error.retryAfterMs ? error.retryAfterMs : 0, Math.min(3_600_000, options.retryBaseMs * 2 ** Math.max(0, attempts - 1)));

  /** Gives up on a message, and says so on its incident in the same transaction: no dead message without its note. */
  async function markDead(notification: NotificationRow, reason: string): Promise<void> {
    await inTransaction(deps, SYSTEM, async (uow) => {
      const died = await markFailed(uow.trx, notification.id, reason, null);
      if (!died || !notification.incident_id) return;
      const incident = await loadIncident(uow.trx, notification.incident_id, { forUpdate: true });
      const body = `The reporter did not get our message (${notification.template}, ${notification.channel} to ${notification.recipient}) after ${notification.attempts} attempts: ${reason}`;
      await writeComment(uow, deps, incident, { body: body.slice(0, 20_000), visibility: 'internal' }, SYSTEM);
    });
  }

  async function deliver(notification: NotificationRow, claimedAt: number): Promise<void> {
    const channel = options.channels[notification.channel] as NotificationChannelSetup;
    let expired = false;
    try {
      const text = render(notification.template, notification.language, notification.params);
      await channel.rateLimit(notification.recipient, async () => {
        // Waiting for the rate limit outlasted the claim: another worker may have the message
        // now, so this one must not send it too. It stays pending and is claimed again.
        expired = Date.now() > claimedAt + options.leaseMs * 0.9;
        if (!expired) await channel.send(notification.recipient, text);
      });
      if (expired) return;
      await markSent(deps.db.primary, notification.id, deps.clock());
      metrics.sent.inc({ channel: notification.channel, outcome: 'sent' });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const giveUp = (error instanceof SendFailed && error.permanent) || notification.attempts >= options.maxAttempts || !(error instanceof SendFailed);
      const retryAt = giveUp ? null : new Date(deps.clock().getTime() + retryDelay(notification.attempts, error));
      if (retryAt) await markFailed(deps.db.primary, notification.id, reason, retryAt);
      else await markDead(notification, reason);
      metrics.sent.inc({ channel: notification.channel, outcome: retryAt ? 'retry' : 'dead' });
      logger[retryAt ? 'warn' : 'error']({ err: error, notification_id: notification.id, channel: notification.channel, attempts: notification.attempts, retry_at: retryAt }, retryAt ? 'message to reporter failed; will retry' : 'message to reporter is dead');
    }
  }

  return startWorkLoop({
    name: 'notification worker',
    idleMs: options.idleMs,
    logger,
    async round() {
      if (!channels.length) return 0;
      const claimedAt = Date.now();
      const batch = await claimNotifications(deps.db.primary, deps.clock(), options.leaseMs, options.batchSize ?? 100, channels);
      // One recipient's messages one after another, in order; recipients side by side, paced by the rate limits.
      const byRecipient = new Map<string, NotificationRow[]>();
      for (const notification of batch) {
        const key = `${notification.channel}:${notification.recipient}`;
        byRecipient.set(key, [...(byRecipient.get(key) ?? []), notification]);
      }
      await Promise.all([...byRecipient.values()].map(async (messages) => {
        for (const notification of messages) await deliver(notification, claimedAt);
      }));
      return batch.length;
    },
  });
}
