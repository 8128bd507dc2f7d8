import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

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

/** A distinct message the stand-in accepted (answered 201, idempotent replays not counted again). */
export interface SentSms {
  sid: string;
  to: string;
  from: string | null;
  messaging_service_sid: string | null;
  body: string;
  idempotency_token: string | undefined;
  at: Date;
}

export interface SmsGatewayStandIn {
  /** The API root, like https://api.twilio.com. */
  readonly baseUrl: string;
  readonly calls: SmsCall[];
  delivered(to?: string): SentSms[];
  failNext(count: number, status?: number, retryAfterSeconds?: number): void;
  setDown(down: boolean): void;
  setHang(hang: boolean): void;
  setLatency(ms: number): void;
  waitForDelivered(count: number, timeoutMs?: number): Promise<SentSms[]>;
  reset(): void;
  close(): Promise<void>;
}

interface Answer { status: number; payload: unknown; headers?: Record<string, string>; created?: { message: TwilioMessage; token: string | undefined } }
interface Failure { status: number; retryAfter: number | undefined }
interface Waiter { count: number; resolve(): void; reject(error: Error): void }

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
  const calls: SmsCall[] = [];
  const sent: SentSms[] = [];
  const byToken = new Map<string, TwilioMessage>();
  const failures: Failure[] = [];
  const hung = new Set<ServerResponse>();
  const waiters = new Set<Waiter>();
  let down = false;
  let hang = false;
  let latencyMs = 0;
  let closing: Promise<void> | undefined;
  const expectedAuth = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64')}`;

  const notify = () => {
    for (const waiter of waiters) if (sent.length >= waiter.count) waiter.resolve();
  };

  function createMessage(accountSid: string, form: Record<string, string>, token: string | undefined): Answer {
    const failure = failures.shift();
    if (failure) {
      const retryAfter = failure.status === 429 && failure.retryAfter !== undefined ? { 'retry-after': String(failure.retryAfter) } : undefined;
      return twilioError(failure.status, 20000 + failure.status, STATUS_CODES[failure.status] ?? 'Error', retryAfter);
    }
    if (!form.To) return twilioError(400, 21604, "A 'To' phone number is required.");
    if (!form.From && !form.MessagingServiceSid) return twilioError(400, 21603, "A 'From' phone number is required.");
    if (!form.Body && !form.MediaUrl && !form.ContentSid) return twilioError(400, 21602, 'Message body is required.');
    // A token already answered with 201 gets that message again: the retry is not a second send.
    const earlier = token === undefined ? undefined : byToken.get(token);
    if (earlier) return { status: 201, payload: earlier };
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
    return { status: 201, payload: message, created: { message, token } };
  }

  function route(req: IncomingMessage, path: string, form: Record<string, string>, token: string | undefined): Answer {
    if (req.headers.authorization !== expectedAuth) return twilioError(401, 20003, 'Authenticate', { 'www-authenticate': 'Basic realm="Twilio API"' });
    const match = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(path);
    if (!match || match[1] !== options.accountSid) return twilioError(404, 20404, `The requested resource ${path} was not found`);
    if (req.method !== 'POST') return twilioError(405, 20004, 'Method not allowed');
    return createMessage(options.accountSid, form, token);
  }

  const gone = (res: ServerResponse) => closing !== undefined || res.destroyed || !res.socket || res.socket.destroyed;

  /** Writes the answer unless the client is gone; only then does the call count as answered. */
  function answer(res: ServerResponse, call: SmsCall, result: Answer, type = 'application/json'): boolean {
    if (gone(res)) return false;
    const text = typeof result.payload === 'string' ? result.payload : JSON.stringify(result.payload);
    res.writeHead(result.status, { ...result.headers, 'content-type': type, 'content-length': Buffer.byteLength(text) }).end(text);
    call.status = result.status;
    call.response = result.payload;
    return true;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://stand-in').pathname;
    const header = req.headers[IDEMPOTENCY_HEADER];
    const token = Array.isArray(header) ? header[0] : header;
    const call: SmsCall = { method: req.method ?? 'GET', path, body: {}, idempotencyToken: token, status: undefined, response: undefined, at: new Date() };
    calls.push(call);
    call.body = await readForm(req);
    // Unref'd: a delayed answer must not keep the process alive; after close() it is simply dropped.
    if (latencyMs > 0) await sleep(latencyMs, undefined, { ref: false });
    // Read after the delay, so a switch flipped meanwhile applies to requests in flight.
    if (hang) return void hung.add(res.once('close', () => hung.delete(res)));
    // A dead gateway behind a proxy: the proxy answers, in text.
    if (down) return void answer(res, call, { status: 502, payload: 'Bad Gateway' }, 'text/plain; charset=utf-8');
    // A client that gave up during the delay neither uses up a failNext nor gets a message sent.
    if (gone(res)) return;
    const result = route(req, path, call.body, token);
    if (answer(res, call, result) && result.created) {
      const { message, token: used } = result.created;
      if (used !== undefined) byToken.set(used, message);
      sent.push({ sid: message.sid, to: message.to, from: message.from, messaging_service_sid: message.messaging_service_sid, body: message.body, idempotency_token: used, at: new Date() });
      notify();
    }
  }

  // A request whose client went away mid-body is just cut; it stays recorded as never answered.
  const server = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    calls,
    delivered: (to) => sent.filter((sms) => to === undefined || sms.to === to),
    failNext(count, status = 500, retryAfterSeconds) {
      for (let i = 0; i < count; i++) failures.push({ status, retryAfter: retryAfterSeconds });
    },
    setDown: (value) => void (down = value),
    setHang: (value) => void (hang = value),
    setLatency: (ms) => void (latencyMs = Math.max(0, ms)),
    waitForDelivered(count, timeoutMs = 5000) {
      return new Promise<SentSms[]>((resolve, reject) => {
        const settle = (error?: Error) => {
          clearTimeout(timer);
          waiters.delete(waiter);
          if (error) reject(error);
          else resolve([...sent]);
        };
        const waiter: Waiter = { count, resolve: () => settle(), reject: settle };
        const timer = setTimeout(() => settle(new Error(`SMS stand-in: ${sent.length} of ${count} messages delivered after ${timeoutMs} ms`)), timeoutMs);
        waiters.add(waiter);
        notify();
      });
    },
    reset() {
      calls.length = 0;
      sent.length = 0;
      byToken.clear();
      failures.length = 0;
      down = hang = false;
      latencyMs = 0;
      // Hung requests would never be answered now; cut them so they do not leak into the next test.
      for (const res of hung) res.destroy();
      hung.clear();
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const res of hung) res.destroy();
        for (const waiter of waiters) waiter.reject(new Error('SMS stand-in closed'));
        server.close(() => resolve());
        // close() alone waits for requests in flight, and hung ones never finish.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
