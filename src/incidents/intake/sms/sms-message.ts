import type { Attachment, InboundMessage } from '../inbound-message.js';

/** What an inbound SMS (Twilio's webhook parameters) means: text, and MMS media as attachments. */
export function readSms(params: Record<string, string | string[]>, language?: 'en' | 'ru'): InboundMessage {
  const text = typeof params.Body === 'string' ? params.Body : '';
  const from = params.From as string;
  const attachments: Attachment[] = [];
  const media = Number(params.NumMedia ?? 0);
  for (let index = 0; index < media && index < 10; index++) {
    const url = params[`MediaUrl${index}`];
    const type = params[`MediaContentType${index}`];
    if (typeof url === 'string') attachments.push({ kind: 'document', file_id: url, ...(typeof type === 'string' ? { mime_type: type } : {}) });
  }
  if (!text.trim() && !attachments.length) return { kind: 'ignored', reason: 'SMS without text or media' };
  return { kind: 'text', sender: { channel: 'sms', address: from, ...(language ? { language } : {}) }, text, attachments, edited: false };
}
