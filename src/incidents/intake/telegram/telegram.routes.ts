import express, { Router } from 'express';
import type { Update } from '@grammyjs/types';
import { BadRequest, Unauthorized } from '../../../platform/http/index.js';
import { sameSecret } from '../channel-secret.js';
import type { InboxIntake } from '../inbox-intake.js';
import type { IntakeMetrics } from '../intake-metrics.js';
import { telegramConversation } from './telegram-update.js';

/**
 * POST /intake/telegram, Telegram's webhook. The secret is checked before anything is read or
 * stored; an accepted update is stored raw and answered 200 at once, and handled from the inbox,
 * so nothing Telegram delivered is lost to a failure in handling it. Telegram retries an update
 * until it gets a 2xx; the same update_id is stored once.
 */
export function telegramRoutes(options: { secret: string; intake: InboxIntake; metrics: IntakeMetrics; clock: () => Date }): Router {
  const router = Router();
  const json = express.json({ limit: '1mb' });
  router.post(
    '/intake/telegram',
    (req, _res, next) => {
      if (sameSecret(req.get('x-telegram-bot-api-secret-token'), options.secret)) return next();
      options.metrics.messages.inc({ channel: 'telegram', outcome: 'rejected' });
      next(Unauthorized('X-Telegram-Bot-Api-Secret-Token is missing or wrong'));
    },
    json,
    async (req, res) => {
      const update = req.body as Update;
      if (typeof update !== 'object' || update === null || !Number.isSafeInteger(update.update_id)) {
        options.metrics.messages.inc({ channel: 'telegram', outcome: 'rejected' });
        throw BadRequest('Not a Telegram update', [{ location: 'body', pointer: '#/update_id', detail: 'Required: an integer' }]);
      }
      await options.intake.receive({ channel: 'telegram', external_id: String(update.update_id), conversation: telegramConversation(update), payload: update, received_at: options.clock() });
      res.status(200).json({ ok: true });
    },
  );
  return router;
}
