import { TelegramApiError, type TelegramBotApi } from '../intake/telegram/bot-api.js';

/** Why a send failed, and whether trying again can help. */
export class SendFailed extends Error {
  constructor(
    message: string,
    /** True when no retry can succeed (a blocked bot, an invalid number): the message is dead at once. */
    readonly permanent: boolean,
    /** The gateway's own wish (Telegram's retry_after, an HTTP Retry-After). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'SendFailed';
  }
}

/** One message out through a channel; throws SendFailed. */
export type ChannelSender = (recipient: string, text: string) => Promise<void>;

// 4xx are the gateway refusing this message, except 401 (our credentials: every message waits for
// the fix) and 408/409/429; everything else may pass later.
const isPermanent = (status: number) => status >= 400 && status < 500 && ![401, 408, 409, 429].includes(status);

/** Telegram sendMessage. */
export function telegramSender(api: TelegramBotApi): ChannelSender {
  return async (chatId, text) => {
    try {
      await api.sendMessage(chatId, text.slice(0, 4096));
    } catch (error) {
      if (error instanceof TelegramApiError) throw new SendFailed(error.message, isPermanent(error.status), error.retryAfterSeconds === undefined ? undefined : error.retryAfterSeconds * 1000);
      throw new SendFailed(`Telegram unreachable: ${(error as Error).message}`, false);
    }
  };
}

/** An SMS through the gateway's REST API (Twilio's Messages resource). */
export function smsSender(options: { apiUrl: string; accountSid: string; authToken: string; from: string; timeoutMs?: number }): ChannelSender {
  const url = `${options.apiUrl.replace(/\/$/, '')}/2010-04-01/Accounts/${options.accountSid}/Messages.json`;
  const authorization = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64')}`;
  return async (to, text) => {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ To: to, From: options.from, Body: text.slice(0, 1600) }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      throw new SendFailed(`SMS gateway unreachable: ${(error as Error).message}`, false);
    }
    if (response.ok) return;
    const answer = (await response.json().catch(() => undefined)) as { code?: number; message?: string } | undefined;
    const retryAfter = Number(response.headers.get('retry-after'));
    throw new SendFailed(`SMS gateway ${response.status}: ${answer?.message ?? response.statusText}${answer?.code ? ` (${answer.code})` : ''}`, isPermanent(response.status), retryAfter > 0 ? retryAfter * 1000 : undefined);
  };
}
