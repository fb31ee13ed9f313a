/**
 * Dates from deterministic instants, for orchestrators (which may not touch the `Date` global): `createTimer` needs a
 * Date, and building one from an instant already derived from `currentUtcDateTime` is replay-safe.
 */
export function dateAt(ms: number): Date {
  return new Date(ms);
}

export function isoAt(ms: number): string {
  return new Date(ms).toISOString();
}
