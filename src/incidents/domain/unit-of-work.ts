import type { Knex } from 'knex';
import { outboxInsert, type DomainEvent } from '../../platform/events/index.js';
import { commentInsert, type CommentRow } from '../data/comment.repository.js';
import { historyInsert, type HistoryEntry } from '../data/history.repository.js';
import type { Actor } from '../data/incident.repository.js';
import { notificationInsert, type NewNotification } from '../data/notification.repository.js';
import type { IncidentsDeps } from './deps.js';

/**
 * One command's transaction: the rows it changes, their history entries and outbox events
 * commit together or not at all; metrics move only after the commit.
 */
export class UnitOfWork {
  private readonly comments: CommentRow[];
  private readonly history: HistoryEntry[];
  private readonly events: DomainEvent[];
  private readonly notifications: NewNotification[];
  readonly afterCommit: (() => void)[];

  constructor(
    readonly trx: Knex.Transaction,
    readonly now: Date,
    readonly actor: Actor | null,
    shared?: UnitOfWork,
  ) {
    this.comments = shared?.comments ?? [];
    this.history = shared?.history ?? [];
    this.events = shared?.events ?? [];
    this.notifications = shared?.notifications ?? [];
    this.afterCommit = shared?.afterCommit ?? [];
  }

  /**
   * The same transaction and pending writes, on behalf of another actor: a batch of messages
   * from several reporters is one transaction, and each message's history names its reporter.
   */
  as(actor: Actor | null): UnitOfWork {
    return new UnitOfWork(this.trx, this.now, actor, this);
  }

  /** A comment, written with the rest at the end: nothing reads a comment in the transaction that adds it. */
  addComment(row: CommentRow): void {
    this.comments.push(row);
  }

  record(entry: Omit<HistoryEntry, 'at' | 'actor'>): void {
    this.history.push({ ...entry, at: this.now, actor: this.actor });
  }

  emit(event: Omit<DomainEvent, 'actor'>): void {
    this.events.push({ ...event, actor: this.actor ? { id: this.actor.id, username: this.actor.username } : undefined });
  }

  /** Queues a message to a reporter; the notification worker sends it once this commits. */
  notify(notification: Omit<NewNotification, 'created_at'>): void {
    this.notifications.push({ ...notification, created_at: this.now });
  }

  /** Writes comments, history, events and notifications in one statement: each round trip to Postgres costs more than the SQL. */
  async flush(): Promise<void> {
    const writes = [
      ...(this.comments.length ? [commentInsert(this.trx, this.comments).toSQL()] : []),
      ...(this.history.length ? [historyInsert(this.trx, this.history).toSQL()] : []),
      ...(this.events.length ? [outboxInsert(this.trx, 'incidents', this.events, this.now).toSQL()] : []),
      ...(this.notifications.length ? [notificationInsert(this.trx, this.notifications).toSQL()] : []),
    ];
    if (!writes.length) return;
    const [first, ...rest] = writes.reverse();
    const ctes = rest.map((write, index) => `w${index} as (${write.sql})`);
    const sql = ctes.length ? `with ${ctes.join(', ')} ${first!.sql}` : first!.sql;
    await this.trx.raw(sql, [...rest.flatMap((write) => write.bindings), ...first!.bindings]);
  }
}

// Postgres aborts one side of a deadlock (40P01) or a serialisation conflict (40001); the
// transaction rolled back whole, so running the unit of work again is safe.
const RETRYABLE = new Set(['40P01', '40001']);
const ATTEMPTS = 4;

/** Runs `work` in one transaction, again if Postgres aborted it for a deadlock; effects after commit. */
export async function inTransaction<T>(deps: IncidentsDeps, actor: Actor | null, work: (uow: UnitOfWork) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    const now = deps.clock();
    let afterCommit: (() => void)[] = [];
    try {
      const result = await deps.db.primary.transaction(async (trx) => {
        const uow = new UnitOfWork(trx, now, actor);
        const value = await work(uow);
        await uow.flush();
        afterCommit = uow.afterCommit;
        return value;
      });
      for (const effect of afterCommit) effect();
      return result;
    } catch (error) {
      if (attempt >= ATTEMPTS || !RETRYABLE.has((error as { code?: string }).code ?? '')) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
    }
  }
}
