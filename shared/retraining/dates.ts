/** Date values for orchestrator code (which may not touch the Date global; lint enforces it). Pure. */
export function dateAt(at: number | string): Date {
  return new Date(typeof at === 'number' ? at : Date.parse(at));
}
