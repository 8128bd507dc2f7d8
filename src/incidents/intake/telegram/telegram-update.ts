import type { Message, Update } from '@grammyjs/types';
import type { Attachment, InboundMessage, Sender } from '../inbound-message.js';

const COMMANDS = new Set(['start', 'new', 'status']);

function attachmentsOf(message: Message): Attachment[] {
  const found: Attachment[] = [];
  // Telegram sends every size of a photo, smallest first; the largest is the one to keep.
  const photo = message.photo?.at(-1);
  if (photo) found.push({ kind: 'photo', file_id: photo.file_id });
  if (message.document) found.push({ kind: 'document', file_id: message.document.file_id, file_name: message.document.file_name, mime_type: message.document.mime_type });
  if (message.voice) found.push({ kind: 'voice', file_id: message.voice.file_id, mime_type: message.voice.mime_type });
  if (message.audio) found.push({ kind: 'audio', file_id: message.audio.file_id, file_name: message.audio.file_name, mime_type: message.audio.mime_type });
  if (message.video) found.push({ kind: 'video', file_id: message.video.file_id, mime_type: message.video.mime_type });
  if (message.video_note) found.push({ kind: 'video_note', file_id: message.video_note.file_id });
  return found;
}

function senderOf(message: Message): Sender {
  const from = message.from;
  const name = [from?.first_name, from?.last_name].filter(Boolean).join(' ') || from?.username || undefined;
  return {
    channel: 'telegram',
    address: String(message.chat.id),
    ...(name ? { name } : {}),
    language: from?.language_code?.toLowerCase().startsWith('ru') ? 'ru' : 'en',
  };
}

/** `/status`, `/new text`, `/start@OurBot`: the command, if it is one of ours. */
function commandOf(text: string): { command: 'start' | 'new' | 'status'; rest: string } | undefined {
  const match = /^\/([a-z]+)(?:@\w+)?(?:\s+([\s\S]*))?$/i.exec(text.trim());
  const command = match?.[1]?.toLowerCase();
  if (!command || !COMMANDS.has(command)) return undefined;
  return { command: command as 'start' | 'new' | 'status', rest: (match?.[2] ?? '').trim() };
}

/** The conversation an update belongs to (its private chat), for ordering in the inbox. */
export function telegramConversation(update: Update): string | null {
  const message = update.message ?? update.edited_message;
  return message ? `telegram:${message.chat.id}` : null;
}

/** What a Telegram update means for the helpdesk; anything else is ignored with the reason. */
export function readTelegramUpdate(update: Update): InboundMessage {
  if (update.channel_post || update.edited_channel_post) return { kind: 'ignored', reason: 'channel post' };
  const message = update.message ?? update.edited_message;
  if (!message) {
    const kind = Object.keys(update).find((key) => key !== 'update_id') ?? 'empty';
    return { kind: 'ignored', reason: `update kind ${kind}` };
  }
  if (message.chat.type !== 'private') return { kind: 'ignored', reason: `${message.chat.type} chat` };
  const sender = senderOf(message);
  if (message.contact) {
    // Only the sender's own card (what the "share my phone" button sends) says whose phone it is:
    // anyone's card from the address book would let a reporter claim another client's records.
    if (message.contact.user_id === undefined || message.contact.user_id !== message.from?.id) return { kind: 'ignored', reason: 'contact of someone else' };
    const name = [message.contact.first_name, message.contact.last_name].filter(Boolean).join(' ');
    return { kind: 'contact', sender, phone: message.contact.phone_number, ...(name ? { name } : {}) };
  }
  const text = message.text ?? message.caption ?? '';
  const attachments = attachmentsOf(message);
  if (!text.trim() && !attachments.length) return { kind: 'ignored', reason: 'message without text or file' };
  const edited = Boolean(update.edited_message);
  const command = !edited && message.text ? commandOf(message.text) : undefined;
  if (command) return { kind: 'command', sender, command: command.command, text: command.rest };
  return { kind: 'text', sender, text, attachments, edited };
}
