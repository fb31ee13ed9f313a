import type { z } from 'zod';
import { ValidationError } from '../../errors';
import { makeEvent, validationErrorFrom, type AnyStagecraftEvent, type EventType } from '../../events';
import type { ParseContext, ParseOutcome } from './types';

export function ignored(reason: string): ParseOutcome {
  return { kind: 'ignored', reason };
}

export function invalid(error: ValidationError): ParseOutcome {
  return { kind: 'invalid', error };
}

/** Parses `body` with a source schema; on failure an `invalid` outcome whose fields are body paths. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  body: unknown,
  what: string,
  prefix = '',
): { ok: true; value: z.output<S> } | { ok: false; outcome: ParseOutcome } {
  const r = schema.safeParse(body);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, outcome: invalid(validationErrorFrom('INTAKE_PAYLOAD_INVALID', what, r.error.issues, prefix)) };
}

/** Builds events, turning a data-schema failure into an `invalid` outcome instead of a throw. */
export function eventsOf(build: () => AnyStagecraftEvent[]): ParseOutcome {
  try {
    const events = build();
    return events.length === 0 ? ignored('nothing relevant in this delivery') : { kind: 'events', events };
  } catch (e) {
    if (e instanceof ValidationError) return invalid(e);
    throw e;
  }
}

export function event<T extends EventType>(
  type: T,
  data: unknown,
  source: string,
  ctx: ParseContext,
  time?: string,
): AnyStagecraftEvent {
  return makeEvent(type, data, { source, time: time ?? ctx.now, deliveryId: ctx.deliveryId }) as AnyStagecraftEvent;
}

/** Epoch milliseconds (number or numeric string) → RFC 3339. */
export function msToIso(ms: number | string): string {
  return new Date(Number(ms)).toISOString();
}

/** `release/*` style patterns: `*` within one path segment, `**` across segments; matched on the full branch name. */
export function branchMatches(branch: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => {
    const re = p
      .split('**')
      .map((part) =>
        part
          .split('*')
          .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('[^/]*'),
      )
      .join('.*');
    return new RegExp(`^${re}$`).test(branch);
  });
}

export type BranchKind = 'main' | 'release' | 'other';

export function classifyBranch(
  branch: string,
  config: { mainBranches: readonly string[]; releasePatterns: readonly string[] },
): BranchKind {
  if (config.mainBranches.includes(branch)) return 'main';
  if (branchMatches(branch, config.releasePatterns)) return 'release';
  return 'other';
}

export function header(ctx: ParseContext, name: string): string | undefined {
  return ctx.request.headers.get(name.toLowerCase());
}
