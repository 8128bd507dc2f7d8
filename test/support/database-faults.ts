import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';

/**
 * Makes PostgreSQL refuse, `times` times, to insert an incident with this title, as a broken
 * constraint or a full disk would: the statement raises and its transaction rolls back. Answers
 * a function that removes the fault again.
 */
export async function databaseRefuses(db: Knex, title: string, times: number): Promise<() => Promise<void>> {
  const name = `test_refuse_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  await db.raw(`create sequence public.${name}`);
  await db.raw(`
    create function public.${name}() returns trigger language plpgsql as $$
    begin
      if new.title = ${db.raw('?', [title]).toQuery()} and nextval('public.${name}') <= ${times} then
        raise exception 'the database refuses %', new.title;
      end if;
      return new;
    end $$`);
  await db.raw(`create trigger ${name} before insert on incidents.incidents for each row execute function public.${name}()`);
  return async () => {
    await db.raw(`drop trigger ${name} on incidents.incidents`);
    await db.raw(`drop function public.${name}()`);
    await db.raw(`drop sequence public.${name}`);
  };
}
