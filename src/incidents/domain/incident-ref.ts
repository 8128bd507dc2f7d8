/** Human keys: `INC-000123` and `PRB-000045`; the number is the row's sequence value. */
export const INCIDENT_KEY = /^INC-(\d{1,15})$/;
export const PROBLEM_KEY = /^PRB-(\d{1,15})$/;

export const incidentKey = (number: number): string => `INC-${String(number).padStart(6, '0')}`;
export const problemKey = (number: number): string => `PRB-${String(number).padStart(6, '0')}`;

/** An incident is addressed by its UUID or its human key, wherever an id is accepted. */
export function parseIncidentRef(ref: string): { id: string } | { number: number } {
  const match = INCIDENT_KEY.exec(ref);
  return match ? { number: Number(match[1]) } : { id: ref.toLowerCase() };
}

/** An id no row has: a filter by an unknown incident or problem matches nothing. */
export const NO_SUCH_ID = '00000000-0000-0000-0000-000000000000';

export function parseProblemRef(ref: string): { id: string } | { number: number } {
  const match = PROBLEM_KEY.exec(ref);
  return match ? { number: Number(match[1]) } : { id: ref.toLowerCase() };
}
