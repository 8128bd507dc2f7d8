import { once } from 'node:events';
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

// A loopback stand-in for the Telegram Bot API (https://core.telegram.org/bots/api): enough of
// sendMessage and the webhook methods to test a client against, plus switches for the ways the
// real service fails. Every request is recorded, so a test can assert on what was really sent.

/** One request the stand-in received, and what it answered (status undefined: never answered). */
export interface TelegramCall {
  /** The Bot API method named in the path, as sent ('' when the path is not /bot<token>/<method>). */
  method: string;
  /** Query parameters and body merged, JSON-serialized fields of form bodies decoded. */
  body: Record<string, unknown>;
  status: number | undefined;
  response: unknown;
  at: Date;
}

/** A sendMessage the stand-in answered with 200: what the bot really said. */
export interface SentMessage {
  message_id: number;
  chat_id: string | number;
  text: string;
  parse_mode?: string;
  reply_markup?: unknown;
  reply_to_message_id?: number;
  reply_parameters?: unknown;
  at: Date;
}

/** What the last setWebhook asked for. */
export interface TelegramWebhook { url: string; secret_token: string | undefined; allowed_updates: string[] | undefined }

export interface TelegramStandIn {
  /** The API root, like https://api.telegram.org: methods are at `${baseUrl}/bot${token}/${method}`. */
  readonly baseUrl: string;
  readonly calls: TelegramCall[];
  readonly webhook: TelegramWebhook | undefined;
  delivered(chatId?: string | number): SentMessage[];
  failNext(count: number, status?: number, retryAfterSeconds?: number): void;
  setDown(down: boolean): void;
  setHang(hang: boolean): void;
  setLatency(ms: number): void;
  waitForDelivered(count: number, timeoutMs?: number): Promise<SentMessage[]>;
  reset(): void;
  close(): Promise<void>;
}

interface Answer { status: number; payload: unknown; sent?: SentMessage }
interface Failure { status: number; retryAfter: number | undefined }
interface Waiter { count: number; resolve(): void; reject(error: Error): void }

// The Bot API takes these as JSON-serialized strings when the body is a form or a query string.
const JSON_FIELDS = ['reply_markup', 'reply_parameters', 'allowed_updates', 'entities', 'link_preview_options'];

const error = (status: number, description: string, parameters?: object): Answer => ({
  status,
  payload: { ok: false, error_code: status, description, ...(parameters ? { parameters } : {}) },
});
const ok = (result: unknown, description?: string): Answer => ({ status: 200, payload: { ok: true, result, ...(description ? { description } : {}) } });

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** Reads a JSON, form-encoded or empty body over the query parameters; undefined when the JSON is no object. */
async function readBody(req: IncomingMessage, query: URLSearchParams): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  let fields: Record<string, unknown> = Object.fromEntries(query);
  if (type === 'application/json' && text.trim() !== '') {
    const parsed = parseJson(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    fields = { ...fields, ...parsed };
  } else if (type === 'application/x-www-form-urlencoded') {
    fields = { ...fields, ...Object.fromEntries(new URLSearchParams(text)) };
  }
  // A field that is no valid JSON stays as sent: the record should show what the client got wrong.
  for (const key of JSON_FIELDS) if (typeof fields[key] === 'string') fields[key] = parseJson(fields[key]) ?? fields[key];
  return fields;
}

/** Starts a Telegram Bot API stand-in on a free loopback port that accepts only `options.token`. */
export async function startTelegramStandIn(options: { token: string }): Promise<TelegramStandIn> {
  const calls: TelegramCall[] = [];
  const sent: SentMessage[] = [];
  const failures: Failure[] = [];
  const hung = new Set<ServerResponse>();
  const waiters = new Set<Waiter>();
  let webhook: TelegramWebhook | undefined;
  let down = false;
  let hang = false;
  let latencyMs = 0;
  let nextMessageId = 1;
  let closing: Promise<void> | undefined;
  const botId = Number(/^\d+/.exec(options.token)?.[0] ?? 1);
  const bot = { id: botId, is_bot: true, first_name: 'Stand-in Bot', username: 'stand_in_bot', can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false };

  const notify = () => {
    for (const waiter of waiters) if (sent.length >= waiter.count) waiter.resolve();
  };

  function sendMessage(body: Record<string, unknown>): Answer {
    const failure = failures.shift();
    if (failure) {
      // The Bot API's own wording for the 403 a client most needs to handle; HTTP's for the rest.
      const description = failure.status === 403 ? 'Forbidden: bot was blocked by the user' : (STATUS_CODES[failure.status] ?? 'Error');
      if (failure.status !== 429) return error(failure.status, description);
      const retry_after = failure.retryAfter ?? 1;
      return error(429, `Too Many Requests: retry after ${retry_after}`, { retry_after });
    }
    const raw = body.chat_id;
    if (raw === undefined || raw === null || String(raw).trim() === '') return error(400, 'Bad Request: chat_id is empty');
    // Numeric ids travel as strings in forms; a non-numeric id must be a @channelusername.
    const chatId = typeof raw === 'number' || /^-?\d+$/.test(String(raw)) ? Number(raw) : String(raw);
    if (typeof chatId === 'string' && !chatId.startsWith('@')) return error(400, 'Bad Request: chat not found');
    const text = body.text === undefined || body.text === null ? '' : String(body.text);
    if (text.trim() === '') return error(400, 'Bad Request: message text is empty');
    if (text.length > 4096) return error(400, 'Bad Request: message is too long');
    const message: SentMessage = { message_id: nextMessageId++, chat_id: chatId, text, at: new Date() };
    if (body.parse_mode !== undefined) message.parse_mode = String(body.parse_mode);
    if (body.reply_markup !== undefined) message.reply_markup = body.reply_markup;
    if (body.reply_to_message_id !== undefined) message.reply_to_message_id = Number(body.reply_to_message_id);
    if (body.reply_parameters !== undefined) message.reply_parameters = body.reply_parameters;
    const chat = { id: chatId, type: typeof chatId === 'string' ? 'channel' : chatId < 0 ? 'supergroup' : 'private' };
    const result = { message_id: message.message_id, from: bot, chat, date: Math.floor(message.at.getTime() / 1000), text, ...(message.reply_markup ? { reply_markup: message.reply_markup } : {}) };
    return { ...ok(result), sent: message };
  }

  function setWebhook(body: Record<string, unknown>): Answer {
    const url = body.url === undefined ? '' : String(body.url);
    const secret = body.secret_token === undefined ? undefined : String(body.secret_token);
    if (secret !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secret)) return error(400, 'Bad Request: secret token contains unallowed characters');
    // As on the real API, an empty url removes the webhook.
    if (url === '') return deleteWebhook();
    const allowed = Array.isArray(body.allowed_updates) ? body.allowed_updates.map(String) : undefined;
    webhook = { url, secret_token: secret, allowed_updates: allowed };
    return ok(true, 'Webhook was set');
  }

  function deleteWebhook(): Answer {
    const had = webhook !== undefined;
    webhook = undefined;
    return ok(true, had ? 'Webhook was deleted' : 'Webhook is already deleted');
  }

  function route(path: RegExpExecArray | null, body: Record<string, unknown> | undefined): Answer {
    if (!path) return error(404, 'Not Found');
    if (path[1] !== options.token) return error(401, 'Unauthorized');
    if (!body) return error(400, "Bad Request: can't parse JSON object");
    const methods: Record<string, (fields: Record<string, unknown>) => Answer> = {
      getme: () => ok(bot),
      sendmessage: sendMessage,
      setwebhook: setWebhook,
      deletewebhook: deleteWebhook,
      getwebhookinfo: () => ok({ url: webhook?.url ?? '', has_custom_certificate: false, pending_update_count: 0, ...(webhook?.allowed_updates ? { allowed_updates: webhook.allowed_updates } : {}) }),
    };
    // Bot API method names are case-insensitive; hasOwn keeps 'constructor' and the like out.
    const name = path[2]?.toLowerCase() ?? '';
    const method = Object.hasOwn(methods, name) ? methods[name] : undefined;
    return method ? method(body) : error(404, 'Not Found: method not found');
  }

  const gone = (res: ServerResponse) => closing !== undefined || res.destroyed || !res.socket || res.socket.destroyed;

  /** Writes the answer unless the client is gone; only then does the call count as answered. */
  function answer(res: ServerResponse, call: TelegramCall, status: number, payload: unknown): boolean {
    if (gone(res)) return false;
    const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
    const type = typeof payload === 'string' ? 'text/plain; charset=utf-8' : 'application/json';
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) }).end(text);
    call.status = status;
    call.response = payload;
    return true;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const path = /^\/bot([^/]+)\/([^/]+)\/?$/.exec(url.pathname);
    const call: TelegramCall = { method: path?.[2] ?? '', body: {}, status: undefined, response: undefined, at: new Date() };
    calls.push(call);
    const body = await readBody(req, url.searchParams);
    call.body = body ?? {};
    // Unref'd: a delayed answer must not keep the process alive; after close() it is simply dropped.
    if (latencyMs > 0) await sleep(latencyMs, undefined, { ref: false });
    // Read after the delay, so a switch flipped meanwhile applies to requests in flight.
    if (hang) return void hung.add(res.once('close', () => hung.delete(res)));
    // A dead service behind a proxy: the proxy answers, in text, whatever the method.
    if (down) return void answer(res, call, 502, 'Bad Gateway');
    // A client that gave up during the delay neither uses up a failNext nor gets a message sent.
    if (gone(res)) return;
    const result = route(path, body);
    if (answer(res, call, result.status, result.payload) && result.sent) {
      sent.push(result.sent);
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
    get webhook() {
      return webhook;
    },
    delivered: (chatId) => sent.filter((message) => chatId === undefined || String(message.chat_id) === String(chatId)),
    failNext(count, status = 500, retryAfterSeconds) {
      for (let i = 0; i < count; i++) failures.push({ status, retryAfter: retryAfterSeconds });
    },
    setDown: (value) => void (down = value),
    setHang: (value) => void (hang = value),
    setLatency: (ms) => void (latencyMs = Math.max(0, ms)),
    waitForDelivered(count, timeoutMs = 5000) {
      return new Promise<SentMessage[]>((resolve, reject) => {
        const settle = (error?: Error) => {
          clearTimeout(timer);
          waiters.delete(waiter);
          if (error) reject(error);
          else resolve([...sent]);
        };
        const waiter: Waiter = { count, resolve: () => settle(), reject: settle };
        const timer = setTimeout(() => settle(new Error(`Telegram stand-in: ${sent.length} of ${count} messages delivered after ${timeoutMs} ms`)), timeoutMs);
        waiters.add(waiter);
        notify();
      });
    },
    reset() {
      calls.length = 0;
      sent.length = 0;
      failures.length = 0;
      webhook = undefined;
      down = hang = false;
      latencyMs = 0;
      // Hung requests would never be answered now; cut them so they do not leak into the next test.
      for (const res of hung) res.destroy();
      hung.clear();
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const res of hung) res.destroy();
        for (const waiter of waiters) waiter.reject(new Error('Telegram stand-in closed'));
        server.close(() => resolve());
        // close() alone waits for requests in flight, and hung ones never finish.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
