// npm run telegram:webhook: points the bot at PUBLIC_URL/intake/telegram with the webhook
// secret. The incidents service does the same at start; this is for setting it up by hand.
import { loadConfigOrExit } from '../../../platform/config/index.js';
import { publicUrl } from '../../channels.js';
import { telegramBotApi } from './bot-api.js';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  if (!config.TELEGRAM_BOT_TOKEN || !config.TELEGRAM_WEBHOOK_SECRET) {
    process.stderr.write('TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET are required\n');
    process.exit(2);
  }
  const url = `${publicUrl(config)}/intake/telegram`;
  await telegramBotApi({ apiUrl: config.TELEGRAM_API_URL, token: config.TELEGRAM_BOT_TOKEN }).setWebhook(url, config.TELEGRAM_WEBHOOK_SECRET);
  process.stdout.write(`Telegram will send updates to ${url}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
