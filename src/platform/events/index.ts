export { appendEvent, outboxInsert, outboxRow, type DomainEvent } from './outbox.js';
