import { STATUS_CODES, type IncomingMessage } from 'node:http';
import { standInHarness, type Reply, type StandIn } from './harness.js';

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

export interface TelegramStandIn extends StandIn<TelegramCall, SentMessage> {
  /** The API root, like https://api.telegram.org: methods are at `${baseUrl}/bot${token}/${method}`. */
  readonly baseUrl: string;
  readonly webhook: TelegramWebhook | undefined;
  delivered(chatId?: string | number): SentMessage[];
}

type Answer = Reply<SentMessage>;

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
  const harness = standInHarness<TelegramCall, SentMessage>('Telegram stand-in');
  let webhook: TelegramWebhook | undefined;
  let nextMessageId = 1;
  const botId = Number(/^\d+/.exec(options.token)?.[0] ?? 1);
  const bot = { id: botId, is_bot: true, first_name: 'Stand-in Bot', username: 'stand_in_bot', can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false };

  function sendMessage(body: Record<string, unknown>): Answer {
    const failure = harness.nextFailure();
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
    return { ...ok(result), delivered: message };
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

  const standIn = await harness.listen(async (req, url) => {
    const path = /^\/bot([^/]+)\/([^/]+)\/?$/.exec(url.pathname);
    const call = harness.record({ method: path?.[2] ?? '', body: {}, status: undefined, response: undefined, at: new Date() });
    const body = await readBody(req, url.searchParams);
    call.body = body ?? {};
    return { call, reply: () => route(path, body) };
  });

  return {
    ...standIn,
    get webhook() {
      return webhook;
    },
    delivered: (chatId) => harness.delivered.filter((message) => chatId === undefined || String(message.chat_id) === String(chatId)),
    reset() {
      standIn.reset();
      webhook = undefined;
    },
  };
}
