import type { Knex } from 'knex';
import { appendEvent, type DomainEvent } from '../../platform/events/index.js';
import { insertHistory, type HistoryEntry } from '../data/history.repository.js';
import type { Actor } from '../data/incident.repository.js';
import type { IncidentsDeps } from './deps.js';

/**
 * One command's transaction: the rows it changes, their history entries and outbox events
 * commit together or not at all; metrics move only after the commit.
 */
export class UnitOfWork {
  private readonly history: HistoryEntry[] = [];
  private readonly events: DomainEvent[] = [];
  readonly afterCommit: (() => void)[] = [];

  constructor(
    readonly trx: Knex.Transaction,
    readonly now: Date,
    readonly actor: Actor | null,
  ) {}

  record(entry: Omit<HistoryEntry, 'at' | 'actor'>): void {
    this.history.push({ ...entry, at: this.now, actor: this.actor });
  }

  emit(event: Omit<DomainEvent, 'actor'>): void {
    this.events.push({ ...event, actor: this.actor ? { id: this.actor.id, username: this.actor.username } : undefined });
  }

  async flush(): Promise<void> {
    await insertHistory(this.trx, this.history);
    for (const event of this.events) await appendEvent(this.trx, 'incidents', event);
  }
}

export async function inTransaction<T>(deps: IncidentsDeps, actor: Actor | null, work: (uow: UnitOfWork) => Promise<T>): Promise<T> {
  const now = deps.clock();
  let afterCommit: (() => void)[] = [];
  const result = await deps.db.primary.transaction(async (trx) => {
    const uow = new UnitOfWork(trx, now, actor);
    const value = await work(uow);
    await uow.flush();
    afterCommit = uow.afterCommit;
    return value;
  });
  for (const effect of afterCommit) effect();
  return result;
}
