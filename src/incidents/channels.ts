import type { Router } from 'express';
import type { Config } from '../platform/config/index.js';
import { serviceUrls } from '../platform/config/index.js';
import { serviceTokenFromConfig } from '../platform/auth/service-token.js';
import { SwitchedOff, type Api, type Checks } from '../platform/http/index.js';
import type { Logger } from '../platform/logging/index.js';
import type { Registry } from 'prom-client';
import type { IncidentsDeps } from './domain/deps.js';
import { clientLookupThroughEdge } from './intake/client-lookup.js';
import { esbRoutes } from './intake/esb/esb.routes.js';
import { esbMessageHandler } from './intake/esb/esb-message.js';
import { startEsbConsumer } from './intake/esb/amqp-consumer.js';
import { inboxIntake } from './intake/inbox-intake.js';
import { startInboxProcessor } from './intake/inbox-processor.js';
import { createIntakeMetrics } from './intake/intake-metrics.js';
import { smsRoutes } from './intake/sms/sms.routes.js';
import { telegramBotApi } from './intake/telegram/bot-api.js';
import { telegramRoutes } from './intake/telegram/telegram.routes.js';
import { channelAdminRoutes } from './notifications/channel-admin.routes.js';
import { smsSender, telegramSender } from './notifications/channel-senders.js';
import { startNotificationWorker, type NotificationWorkerOptions } from './notifications/notification-worker.js';
import { createNotificationMetrics, type NotificationMetrics } from './notifications/notifications-metrics.js';
import { smsRateLimit, telegramRateLimit } from './notifications/rate-limits.js';

/**
 * The edge's address as Telegram and the SMS gateway see it: PUBLIC_URL, else the edge's own
 * address (known only once it listens when its port is chosen by the OS, hence a function).
 */
export const publicUrl = (config: Config, edgeUrl?: () => string) => (config.PUBLIC_URL ?? edgeUrl?.() ?? serviceUrls(config).edge).replace(/\/$/, '');

/** The outbound side of each configured channel, for the notification worker. */
export function notificationChannels(config: Config): NotificationWorkerOptions['channels'] {
  return {
    ...(config.TELEGRAM_BOT_TOKEN
      ? { telegram: { send: telegramSender(telegramBotApi({ apiUrl: config.TELEGRAM_API_URL, token: config.TELEGRAM_BOT_TOKEN })), rateLimit: telegramRateLimit({ perSecond: config.TELEGRAM_RATE_PER_SECOND, chatIntervalMs: config.TELEGRAM_CHAT_INTERVAL_MS }) } }
      : {}),
    ...(config.TWILIO_ACCOUNT_SID && config.TWILIO_AUTH_TOKEN && config.SMS_FROM
      ? { sms: { send: smsSender({ apiUrl: config.SMS_API_URL, accountSid: config.TWILIO_ACCOUNT_SID, authToken: config.TWILIO_AUTH_TOKEN, from: config.SMS_FROM }), rateLimit: smsRateLimit(config.SMS_RATE_PER_SECOND) } }
      : {}),
  };
}

/** Starts the notification worker on the configured channels. */
export function startNotifications(config: Config, deps: IncidentsDeps, metrics: NotificationMetrics, logger: Logger) {
  return startNotificationWorker(deps, {
    channels: notificationChannels(config),
    maxAttempts: config.NOTIFY_MAX_ATTEMPTS,
    retryBaseMs: config.NOTIFY_RETRY_BASE_MS,
    leaseMs: config.NOTIFY_CLAIM_LEASE_MS,
    idleMs: config.CHANNEL_POLL_MS,
    metrics,
    logger: logger.child({ worker: 'notifications' }),
  });
}

const off = (reason: string) => ({ optional: true as const, check: () => Promise.reject(new SwitchedOff(reason)) });
const on = { optional: true as const, check: () => Promise.resolve() };

/**
 * The intake channels (Telegram and SMS webhooks, the service bus over HTTP and AMQP) and the
 * notifications back to reporters. Each channel runs only when configured, and says so at start
 * and in /health/ready.
 */
export async function startChannels(options: { config: Config; deps: IncidentsDeps; api: Api; registry: Registry; logger: Logger; edgeUrl?: () => string }) {
  const { config, deps, api, registry, logger } = options;
  const metrics = createIntakeMetrics(registry, () => deps.db.replica);
  const processor = startInboxProcessor(deps, {
    settings: { reopenWindowMs: config.REOPEN_WINDOW, language: config.REPORTER_LANGUAGE },
    findClient: clientLookupThroughEdge({
      edgeUrl: options.edgeUrl ?? (() => serviceUrls(config).edge),
      token: serviceTokenFromConfig(config, 'intake'),
      timeoutMs: 3_000,
      onOutcome: (outcome, error) => {
        metrics.clientLookups.inc({ outcome });
        if (error) logger.warn({ err: error }, 'client lookup by phone failed; the message is handled without it');
      },
    }),
    maxAttempts: config.INTAKE_MAX_ATTEMPTS,
    idleMs: config.CHANNEL_POLL_MS,
    metrics,
    logger: logger.child({ worker: 'inbox' }),
  });
  const intake = inboxIntake(deps.db.primary, metrics, processor.wake);
  const routers: Router[] = [];
  const readiness: Checks = {};

  if (config.TELEGRAM_BOT_TOKEN && config.TELEGRAM_WEBHOOK_SECRET) {
    routers.push(telegramRoutes({ secret: config.TELEGRAM_WEBHOOK_SECRET, intake, metrics, clock: deps.clock }));
    readiness.channel_telegram = on;
    // Telegram must know where to send updates, and the secret to send with them. Only with a
    // PUBLIC_URL: Telegram cannot reach a loopback default. Not fatal: an unreachable Bot API at
    // start must not keep the helpdesk down (npm run telegram:webhook redoes it).
    if (config.PUBLIC_URL) {
      const webhook = `${publicUrl(config)}/intake/telegram`;
      await telegramBotApi({ apiUrl: config.TELEGRAM_API_URL, token: config.TELEGRAM_BOT_TOKEN })
        .setWebhook(webhook, config.TELEGRAM_WEBHOOK_SECRET)
        .then(() => logger.info({ webhook }, 'Telegram webhook set'))
        .catch((error: unknown) => logger.error({ err: error, webhook }, 'could not set the Telegram webhook; run npm run telegram:webhook once the Bot API is reachable'));
    } else logger.warn('PUBLIC_URL is not set: the Telegram webhook was not set (Telegram needs a public https address)');
  } else readiness.channel_telegram = off('TELEGRAM_BOT_TOKEN is not set');
  if (config.TWILIO_ACCOUNT_SID && config.TWILIO_AUTH_TOKEN) {
    routers.push(smsRoutes({ authToken: config.TWILIO_AUTH_TOKEN, publicUrl: () => publicUrl(config, options.edgeUrl), intake, metrics, clock: deps.clock }));
    readiness.channel_sms = on;
  } else readiness.channel_sms = off('TWILIO_ACCOUNT_SID is not set');
  esbRoutes(api, deps, metrics, { reopenWindowMs: config.REOPEN_WINDOW });
  channelAdminRoutes(api, deps);

  const consumer = config.AMQP_URL
    ? await startEsbConsumer({
        url: config.AMQP_URL,
        queue: config.ESB_QUEUE,
        deadLetterQueue: config.ESB_DEAD_LETTER_QUEUE,
        maxAttempts: config.ESB_MAX_ATTEMPTS,
        retryDelayMs: config.ESB_RETRY_DELAY_MS,
        handle: esbMessageHandler(deps, { queue: config.ESB_QUEUE }),
        onOutcome: (outcome) => metrics.messages.inc({ channel: 'esb', outcome }),
        logger: logger.child({ worker: 'esb-consumer' }),
      })
    : undefined;
  readiness.channel_amqp = consumer ? { optional: true, check: consumer.check } : off('AMQP_URL is not set');

  // The queue gauges are here even when the worker runs as its own process: they read the table.
  const notificationMetrics = createNotificationMetrics(registry, () => deps.db.replica);
  const notifications = config.NOTIFICATIONS_WORKER ? startNotifications(config, deps, notificationMetrics, logger) : undefined;
  logger.info(
    {
      telegram: readiness.channel_telegram === on ? 'on' : 'off',
      sms: readiness.channel_sms === on ? `on, signed for ${config.PUBLIC_URL ? `${publicUrl(config)}/intake/sms` : "the edge's own address (PUBLIC_URL unset)"}` : 'off',
      amqp: consumer ? `on, queue ${config.ESB_QUEUE}` : 'off',
      notification_worker: notifications ? 'on' : 'off (run npm run notifications)',
    },
    'intake channels',
  );
  return {
    routers,
    readiness,
    async stop() {
      await consumer?.stop();
      await Promise.all([processor.stop(), notifications?.stop()]);
    },
  };
}
