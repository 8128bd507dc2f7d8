import type { Knex } from 'knex';

/**
 * The human key of an incident in SQL, for statements that write an event in the same
 * statement as the incident (the key is known only once the sequence gave the number).
 * Must match incidentKey() in src/incidents/domain/incident-ref.ts; a test holds them equal.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create function incidents.incident_key(number bigint) returns text
      language sql immutable strict parallel safe
      return 'INC-' || lpad(number::text, greatest(6, length(number::text)), '0');
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop function incidents.incident_key(bigint)');
}
