import type { Language } from '../data/notification.repository.js';

/** A file the reporter sent, referenced by the channel's own id (not downloaded). */
export interface Attachment {
  kind: 'photo' | 'document' | 'voice' | 'audio' | 'video' | 'video_note';
  file_id: string;
  file_name?: string;
  mime_type?: string;
}

export interface Sender {
  channel: 'telegram' | 'sms';
  /** A Telegram chat id or a phone number: what a reply is sent to. */
  address: string;
  name?: string;
  language?: Language;
}

/** What a reporter's message means, whatever channel carried it. */
export type InboundMessage =
  | { kind: 'text'; sender: Sender; text: string; attachments: Attachment[]; edited: boolean }
  | { kind: 'command'; sender: Sender; command: 'start' | 'new' | 'status'; text: string }
  | { kind: 'contact'; sender: Sender; phone: string; name?: string }
  | { kind: 'ignored'; reason: string };

/** The key that orders and groups one reporter's messages. */
export const conversationOf = (sender: Pick<Sender, 'channel' | 'address'>) => `${sender.channel}:${sender.address}`;
