/** The time source of the domain; tests control it to check SLA clocks and jobs. */
export type Clock = () => Date;
export const systemClock: Clock = () => new Date();
