import type { Language } from '../data/notification.repository.js';

type Params = Record<string, unknown>;
type Template = Record<Language, (params: Params) => string>;

const STATUS_NAMES: Record<Language, Record<string, string>> = {
  en: { new: 'new', in_progress: 'in progress', waiting_customer: 'waiting for you', resolved: 'resolved', closed: 'closed', cancelled: 'cancelled' },
  ru: { new: 'новая', in_progress: 'в работе', waiting_customer: 'ждём вашего ответа', resolved: 'решена', closed: 'закрыта', cancelled: 'отменена' },
};

const text = (value: unknown) => (typeof value === 'string' ? value : '');

/**
 * Every message figdesk sends to reporters, per language. Rendered when sent, so a wording fix
 * reaches messages already queued. Each names the incident by its key, the reporter's handle
 * for it in every channel.
 */
export const TEMPLATES: Record<string, Template> = {
  'intake.created': {
    en: (p) => `Your request is registered as ${text(p.key)}: ${text(p.title)}. We will answer here; write to this chat to add details.`,
    ru: (p) => `Ваше обращение зарегистрировано под номером ${text(p.key)}: ${text(p.title)}. Мы ответим здесь; чтобы дополнить его, просто напишите сюда.`,
  },
  'incident.agent_reply': {
    en: (p) => `${text(p.key)}: ${text(p.body)}`,
    ru: (p) => `${text(p.key)}: ${text(p.body)}`,
  },
  'incident.in_progress': {
    en: (p) => `${text(p.key)} is being worked on.`,
    ru: (p) => `Обращение ${text(p.key)} в работе.`,
  },
  'incident.waiting_customer': {
    en: (p) => `${text(p.key)}: we are waiting for your answer. Reply here to continue.`,
    ru: (p) => `${text(p.key)}: мы ждём вашего ответа. Ответьте сюда, чтобы продолжить.`,
  },
  'incident.resolved': {
    en: (p) => `${text(p.key)} is resolved: ${text(p.resolution)}\nIf the problem is still there, just write here.`,
    ru: (p) => `Обращение ${text(p.key)} решено: ${text(p.resolution)}\nЕсли проблема осталась, просто напишите сюда.`,
  },
  'incident.closed': {
    en: (p) => `${text(p.key)} is closed. Thank you!`,
    ru: (p) => `Обращение ${text(p.key)} закрыто. Спасибо!`,
  },
  'bot.welcome': {
    en: () => 'Hello! Describe your problem in a message and we will open a request for it.\n/new starts a new request, /status shows your open requests.',
    ru: () => 'Здравствуйте! Опишите проблему в сообщении, и мы откроем по ней обращение.\n/new: новое обращение, /status: ваши открытые обращения.',
  },
  'bot.new_prompt': {
    en: () => 'Describe the new problem in your next message.',
    ru: () => 'Опишите новую проблему следующим сообщением.',
  },
  'bot.status': {
    en: (p) => statusList(p, 'en', 'Your open requests:', 'You have no open requests.'),
    ru: (p) => statusList(p, 'ru', 'Ваши открытые обращения:', 'У вас нет открытых обращений.'),
  },
  'bot.contact_saved': {
    en: (p) => (p.client_found ? 'Thank you, your phone number is saved and we found your customer record.' : 'Thank you, your phone number is saved.'),
    ru: (p) => (p.client_found ? 'Спасибо, номер сохранён, мы нашли вашу карточку клиента.' : 'Спасибо, номер сохранён.'),
  },
};

function statusList(params: Params, language: Language, heading: string, none: string): string {
  const incidents = Array.isArray(params.incidents) ? (params.incidents as { key: string; status: string; title: string }[]) : [];
  if (!incidents.length) return none;
  return [heading, ...incidents.map((incident) => `${incident.key}: ${STATUS_NAMES[language][incident.status] ?? incident.status}. ${incident.title}`)].join('\n');
}

/** The text of a message; an unknown template is a programming error, caught by the tests. */
export function render(template: string, language: Language, params: Params): string {
  const found = TEMPLATES[template];
  if (!found) throw new Error(`no message template ${template}`);
  return found[language](params);
}
