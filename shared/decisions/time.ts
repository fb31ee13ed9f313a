/**
 * Instants enter decisions as a Date, epoch milliseconds or an ISO-8601 string (orchestrators hold
 * `context.df.currentUtcDateTime`; records hold ISO strings). Decisions never read a clock.
 */
export type Instant = Date | number | string;

export function toMs(at: Instant): number {
  const ms = at instanceof Date ? at.getTime() : typeof at === 'number' ? at : Date.parse(at);
  if (!Number.isFinite(ms)) throw new RangeError(`not a valid instant: ${String(at)}`);
  return ms;
}

export function toIso(ms: number): string {
  return new Date(ms).toISOString();
}
