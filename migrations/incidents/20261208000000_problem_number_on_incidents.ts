import type { Knex } from 'knex';

/**
 * The linked problem's number, kept on the incident beside its id, so every read of incidents
 * is one table: lists no longer join problems for the key (PRB-000045) they show. A composite
 * foreign key, MATCH FULL, makes the pair either both null or exactly a problem's id and number,
 * so the copy cannot drift from the problem (problem numbers never change).
 * Without the join, the "my open P1–P2" list's statement took about a third less time
 * (pgbench on 1,000,000 incidents; docs/benchmarks.md).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table incidents.problems add constraint problems_id_number_key unique (id, number);
    alter table incidents.incidents add column problem_number bigint;
    update incidents.incidents i set problem_number = p.number from incidents.problems p where p.id = i.problem_id;
    alter table incidents.incidents
      drop constraint incidents_problem_id_fkey,
      add constraint incidents_problem_fkey foreign key (problem_id, problem_number)
        references incidents.problems (id, number) match full;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table incidents.incidents
      drop constraint incidents_problem_fkey,
      add constraint incidents_problem_id_fkey foreign key (problem_id) references incidents.problems (id);
    alter table incidents.incidents drop column problem_number;
    alter table incidents.problems drop constraint problems_id_number_key;
  `);
}
