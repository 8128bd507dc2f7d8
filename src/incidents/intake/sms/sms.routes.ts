import express, { Router } from 'express';
import { BadRequest, Forbidden } from '../../../platform/http/index.js';
import { sameSecret, twilioSignature } from '../channel-secret.js';
import type { InboxIntake } from '../inbox-intake.js';
import type { IntakeMetrics } from '../intake-metrics.js';

// An empty TwiML answer: the gateway sends nothing back by itself; our replies go out through
// the notification worker, which retries them.
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

/**
 * POST /intake/sms, the SMS gateway's webhook (Twilio's inbound format). The signature is
 * computed over the URL the gateway called, which is our public URL, not the one this service
 * sees behind the edge; a request that fails it is refused before anything is stored.
 */
export function smsRoutes(options: { authToken: string; publicUrl: () => string; intake: InboxIntake; metrics: IntakeMetrics; clock: () => Date }): Router {
  const router = Router();
  router.post('/intake/sms', express.urlencoded({ extended: false, limit: '256kb' }), async (req, res) => {
    const params = (req.body ?? {}) as Record<string, string | string[]>;
    const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?')) : '';
    const expected = twilioSignature(options.authToken, `${options.publicUrl()}/intake/sms${query}`, params);
    if (!sameSecret(req.get('x-twilio-signature'), expected)) {
      options.metrics.messages.inc({ channel: 'sms', outcome: 'rejected' });
      throw Forbidden('X-Twilio-Signature does not match this request');
    }
    const sid = params.MessageSid ?? params.SmsSid;
    const from = params.From;
    if (typeof sid !== 'string' || !sid || typeof from !== 'string' || !from) {
      options.metrics.messages.inc({ channel: 'sms', outcome: 'rejected' });
      throw BadRequest('Not an inbound SMS', [{ location: 'body', pointer: '#/MessageSid', detail: 'MessageSid and From are required' }]);
    }
    await options.intake.receive({ channel: 'sms', external_id: sid, conversation: `sms:${from}`, payload: params, received_at: options.clock() });
    res.status(200).type('text/xml').send(EMPTY_TWIML);
  });
  return router;
}
