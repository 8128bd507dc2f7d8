export { appendEvent, type DomainEvent } from './outbox.js';
