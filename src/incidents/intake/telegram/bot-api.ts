/** A refusal or failure of the Bot API, with what Telegram said about retrying. */
export class TelegramApiError extends Error {
  constructor(
    readonly status: number,
    readonly description: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(`Telegram ${status}: ${description}`);
    this.name = 'TelegramApiError';
  }
}

/**
 * The few Bot API methods figdesk calls, over plain HTTPS. grammY would bring a middleware
 * framework built to handle updates as they arrive; ours are stored first and handled from the
 * inbox, so only this small client is needed (types come from @grammyjs/types).
 */
export function telegramBotApi(options: { apiUrl: string; token: string; timeoutMs?: number }) {
  const root = `${options.apiUrl.replace(/\/$/, '')}/bot${options.token}`;
  async function call<T>(method: string, body: Record<string, unknown>): Promise<T> {
    const response = await fetch(`${root}/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    const answer = (await response.json().catch(() => undefined)) as { ok?: boolean; result?: T; description?: string; parameters?: { retry_after?: number } } | undefined;
    if (response.ok && answer?.ok) return answer.result as T;
    throw new TelegramApiError(response.status, answer?.description ?? response.statusText, answer?.parameters?.retry_after);
  }
  return {
    call,
    sendMessage: (chatId: string, text: string) => call<{ message_id: number }>('sendMessage', { chat_id: chatId, text, link_preview_options: { is_disabled: true } }),
    /** Points Telegram at our webhook; it will send the secret with every update. */
    setWebhook: (url: string, secretToken: string) => call<boolean>('setWebhook', { url, secret_token: secretToken, allowed_updates: ['message', 'edited_message'] }),
  };
}

export type TelegramBotApi = ReturnType<typeof telegramBotApi>;
