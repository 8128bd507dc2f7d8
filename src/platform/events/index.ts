export { outboxInsert, outboxRow, type DomainEvent } from './outbox.js';
