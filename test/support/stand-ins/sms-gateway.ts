import { randomBytes } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import { standInHarness, type Reply, type StandIn } from './harness.js';

// A loopback stand-in for an SMS gateway with Twilio's Messages API shape
// (POST /2010-04-01/Accounts/{AccountSid}/Messages.json), plus switches for the ways a gateway
// fails. Every request is recorded, so a test can assert on what was really sent.

/** One request the stand-in received, and what it answered (status undefined: never answered). */
export interface SmsCall {
  /** The HTTP method. */
  method: string;
  path: string;
  /** The form-encoded fields as sent (To, From, Body, ...). */
  body: Record<string, string>;
  idempotencyToken: string | undefined;
  status: number | undefined;
  response: unknown;
  at: Date;
}

/** The message resource Twilio answers a create with. */
export interface TwilioMessage {
  sid: string;
  account_sid: string;
  api_version: '2010-04-01';
  to: string;
  from: string | null;
  messaging_service_sid: string | null;
  body: string;
  status: 'queued' | 'accepted';
  direction: 'outbound-api';
  date_created: string;
  date_updated: string;
  date_sent: null;
  num_segments: string;
  num_media: string;
  price: null;
  price_unit: string;
  error_code: null;
  error_message: null;
  uri: string;
  subresource_uris: { media: string };
}

/** A message the stand-in accepted (answered 201): every accepted request is one delivery. */
export interface SentSms {
  sid: string;
  to: string;
  from: string | null;
  messaging_service_sid: string | null;
  body: string;
  /** The I-Twilio-Idempotency-Token header if the client sent one; recorded, never de-duplicated on. */
  idempotency_token: string | undefined;
  at: Date;
}

export interface SmsGatewayStandIn extends StandIn<SmsCall, SentSms> {
  /** The API root, like https://api.twilio.com. */
  readonly baseUrl: string;
  delivered(to?: string): SentSms[];
}

type Answer = Reply<SentSms>;

// Recorded only. Twilio does not de-duplicate outbound messages on this header (it is one Twilio
// adds to the webhooks it sends), so neither does the stand-in: a client's double send is two SMS.
const IDEMPOTENCY_HEADER = 'i-twilio-idempotency-token';

/** Twilio's JSON error shape; its codes for HTTP-level errors are 20000 + status (20003 is auth). */
function twilioError(status: number, code: number, message: string, headers?: Record<string, string>): Answer {
  return { status, payload: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, headers };
}

/** Twilio dates are RFC 2822 with a numeric zone: 'Thu, 30 Jul 2015 20:12:31 +0000'. */
const rfc2822 = (date: Date) => date.toUTCString().replace('GMT', '+0000');

async function readForm(req: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  // Twilio reads only form fields: a JSON body simply lacks To and Body, which is how it fails there too.
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}

/** Starts a Twilio-shaped SMS gateway stand-in on a free loopback port that accepts only the given credentials. */
export async function startSmsGatewayStandIn(options: { accountSid: string; authToken: string }): Promise<SmsGatewayStandIn> {
  const harness = standInHarness<SmsCall, SentSms>('SMS stand-in');
  const expectedAuth = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64')}`;

  function createMessage(accountSid: string, form: Record<string, string>, token: string | undefined): Answer {
    const failure = harness.nextFailure();
    if (failure) {
      const retryAfter = failure.status === 429 && failure.retryAfter !== undefined ? { 'retry-after': String(failure.retryAfter) } : undefined;
      return twilioError(failure.status, 20000 + failure.status, STATUS_CODES[failure.status] ?? 'Error', retryAfter);
    }
    if (!form.To) return twilioError(400, 21604, "A 'To' phone number is required.");
    if (!form.From && !form.MessagingServiceSid) return twilioError(400, 21603, "A 'From' phone number is required.");
    if (!form.Body && !form.MediaUrl && !form.ContentSid) return twilioError(400, 21602, 'Message body is required.');
    const sid = `SM${randomBytes(16).toString('hex')}`;
    const now = rfc2822(new Date());
    const uri = `/2010-04-01/Accounts/${accountSid}/Messages/${sid}`;
    const message: TwilioMessage = {
      sid,
      account_sid: accountSid,
      api_version: '2010-04-01',
      to: form.To,
      from: form.From ?? null,
      messaging_service_sid: form.MessagingServiceSid ?? null,
      body: form.Body ?? '',
      // Twilio answers 'accepted' when a Messaging Service will pick the sender.
      status: form.From ? 'queued' : 'accepted',
      direction: 'outbound-api',
      date_created: now, date_updated: now, date_sent: null, num_segments: '1', num_media: form.MediaUrl ? '1' : '0',
      price: null, price_unit: 'USD', error_code: null, error_message: null,
      uri: `${uri}.json`,
      subresource_uris: { media: `${uri}/Media.json` },
    };
    const { to, from, messaging_service_sid, body } = message;
    return { status: 201, payload: message, delivered: { sid, to, from, messaging_service_sid, body, idempotency_token: token, at: new Date() } };
  }

  function route(req: IncomingMessage, path: string, form: Record<string, string>, token: string | undefined): Answer {
    if (req.headers.authorization !== expectedAuth) return twilioError(401, 20003, 'Authenticate', { 'www-authenticate': 'Basic realm="Twilio API"' });
    const match = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(path);
    if (!match || match[1] !== options.accountSid) return twilioError(404, 20404, `The requested resource ${path} was not found`);
    if (req.method !== 'POST') return twilioError(405, 20004, 'Method not allowed');
    return createMessage(options.accountSid, form, token);
  }

  const standIn = await harness.listen(async (req, url) => {
    const path = url.pathname;
    const header = req.headers[IDEMPOTENCY_HEADER];
    const token = Array.isArray(header) ? header[0] : header;
    const call = harness.record({ method: req.method ?? 'GET', path, body: {}, idempotencyToken: token, status: undefined, response: undefined, at: new Date() });
    call.body = await readForm(req);
    return { call, reply: () => route(req, path, call.body, token) };
  });

  return { ...standIn, delivered: (to) => harness.delivered.filter((sms) => to === undefined || sms.to === to) };
}
