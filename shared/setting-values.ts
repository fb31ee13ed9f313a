/**
 * Building blocks of setting schemas, shared by the config sections (shared/config) and the intake sources (which must
 * not load the config: it imports their list). Every value arrives as `string | undefined`; blanks count as unset.
 */
import { z } from 'zod';
import { tryParseDuration } from './decisions/duration';

export const splitList = (v: string | undefined): string[] =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
export const list = z.string().optional().transform(splitList);
export const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
export const intWithDefault = (def: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? String(def) : v.trim()))
    .pipe(
      z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(min).max(max)),
    );
export const textWithDefault = (def: string) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? def : v.trim()));

/** `a=b,c=d` → { a: 'b', c: 'd' } (keys and values trimmed; each entry needs both sides). */
export const mapping = z
  .string()
  .optional()
  .transform(splitList)
  .pipe(
    z
      .array(z.string().regex(/^[^=]+=[^=]+$/, "entries must be '<alert or monitor>=<model>'"))
      .transform((entries) =>
        Object.fromEntries(entries.map((e) => e.split('=').map((x) => x.trim()) as [string, string])),
      ),
  );

/** Shortest key a setting accepts as an identity or event key (approver keys, event keys). */
export const MIN_KEY_LENGTH = 16;

/** A setting's problem from inside a transform (`return settingProblem(ctx, '...')`); the message never holds a value. */
export const settingProblem = (ctx: z.RefinementCtx, message: string): never => {
  ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
};

/** `name=value,...` → [name, value] pairs (trimmed; values may hold `=`, names not; each entry needs both sides). */
export const pairs = list.transform((entries, ctx): Array<[string, string]> => {
  const out: Array<[string, string]> = [];
  for (const [i, part] of entries.entries()) {
    const eq = part.indexOf('=');
    if (eq <= 0 || eq === part.length - 1)
      return settingProblem(ctx, `each entry must be name=value (entry ${i + 1} is not)`);
    out.push([part.slice(0, eq).trim(), part.slice(eq + 1).trim()]);
  }
  return out;
});

/** `a|b|c` → ['a', 'b', 'c'] (trimmed, blanks dropped): members and alternatives inside one pair's value. */
export const bars = (s: string): string[] =>
  s
    .split('|')
    .map((x) => x.trim())
    .filter(Boolean);

/** A policy duration (`30s`, `15m`, `24h`, `30d`) in milliseconds, at least `minMs`; blank: `def`. */
export const durationWithDefault = (def: string, minMs: number, message: string) =>
  textWithDefault(def).transform((v, ctx): number => {
    const ms = tryParseDuration(v);
    return ms === undefined || ms < minMs ? settingProblem(ctx, message) : ms;
  });

/** An optional http(s) URL. */
export const optionalHttpUrl = optionalText.pipe(
  z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
);

/** A JSON value of the setting (unset or blank: undefined), then checked by `schema`; `message` says what is wanted. */
export const optionalJson = <T extends z.ZodType>(schema: T, message: string) =>
  optionalText.transform((v, ctx): z.output<T> | undefined => {
    if (v === undefined) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(v);
    } catch {
      return settingProblem(ctx, message);
    }
    const r = schema.safeParse(parsed);
    return r.success ? r.data : settingProblem(ctx, message);
  });
