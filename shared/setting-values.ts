/**
 * Building blocks of setting schemas, shared by the config sections (shared/config) and the intake sources (which must
 * not load the config: it imports their list). Every value arrives as `string | undefined`; blanks count as unset.
 */
import { z } from 'zod';

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
