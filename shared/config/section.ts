/**
 * A settings section: the settings one area reads, validated together where that area needs them
 * (`loadSection(section, env)`) and all at once at start-up (shared/config/sections.ts lists every section).
 *
 * Two kinds:
 * - `defineSection(name, shape, build, check?)`: a zod object over the setting names (each key IS a setting name);
 *   every setting is parsed on its own so one error names every bad setting, `check` adds cross-setting rules, and
 *   `build` shapes the typed value. Results are memoized per setting values (the composition root builds clients
 *   from them once).
 * - `readerSection(name, label, read)`: an area whose reader already validates and throws its own ConfigError or
 *   StagecraftError (codes and messages unchanged); the section only makes it part of the start-up check.
 * Errors name the setting and what to set, never a value.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ConfigError } from '../errors';
import type { Env } from './env';
import { SETTINGS_DOC } from './settings';
import { WORKFLOW_SETTINGS_DOC } from './workflow-settings-doc';

/** One problem with one setting; `fix` says what to set. */
export interface SettingProblem {
  setting: string;
  problem: string;
  fix: string;
}

export interface ZodSection<T, S extends z.ZodRawShape = z.ZodRawShape> {
  kind: 'zod';
  name: string;
  /** The settings (names → zod schema of the raw value). */
  schema: z.ZodObject<S>;
  settings: readonly string[];
  /** Parses without throwing: the value or every problem. */
  safeLoad(env: Env): { ok: true; value: T } | { ok: false; problems: SettingProblem[] };
}

export interface ReaderSection<T> {
  kind: 'reader';
  name: string;
  /** What start-up problems are prefixed with (e.g. `approval settings`). */
  label: string;
  read(env: Env): T;
}

export type Section<T = unknown> = ZodSection<T> | ReaderSection<T>;

/** How to fix a setting: its documentation (SETTINGS_DOC, WORKFLOW_SETTINGS_DOC), else `set NAME`. */
export function fixFor(name: string): string {
  const doc = SETTINGS_DOC.find((s) => s.name === name) ?? WORKFLOW_SETTINGS_DOC.find((s) => s.name === name);
  return doc?.description ?? `set ${name}`;
}

/** Reports a cross-setting problem from `check`. */
export type Report = (setting: string, problem: string, fix?: string) => void;

export function defineSection<S extends z.ZodRawShape, T>(
  name: string,
  shape: S,
  build: (v: z.output<z.ZodObject<S>>) => T,
  check?: (v: Partial<z.output<z.ZodObject<S>>>, report: Report, failed: (setting: string) => boolean) => void,
): ZodSection<T, S> {
  const schema = z.object(shape);
  const settings = Object.keys(shape);
  return {
    kind: 'zod',
    name,
    schema,
    settings,
    safeLoad(env) {
      const problems: SettingProblem[] = [];
      const parsed: Record<string, unknown> = {};
      for (const [setting, s] of Object.entries(shape)) {
        const r = (s as z.ZodType).safeParse(env[setting]);
        if (r.success) parsed[setting] = r.data;
        else problems.push({ setting, problem: r.error.issues.map((i) => i.message).join('; '), fix: fixFor(setting) });
      }
      const failed = (setting: string): boolean => problems.some((p) => p.setting === setting);
      check?.(
        parsed as Partial<z.output<z.ZodObject<S>>>,
        (setting, problem, fix) => problems.push({ setting, problem, fix: fix ?? fixFor(setting) }),
        failed,
      );
      if (problems.length > 0) return { ok: false, problems };
      return { ok: true, value: build(parsed as z.output<z.ZodObject<S>>) };
    },
  };
}

export function readerSection<T>(name: string, label: string, read: (env: Env) => T): ReaderSection<T> {
  return { kind: 'reader', name, label, read };
}

/** The ConfigError every zod section throws: one line per problem, each naming the setting. */
export function settingsError(problems: SettingProblem[]): ConfigError {
  const lines = problems.map((x) => `- ${x.setting}: ${x.problem}. ${x.fix}`);
  return new ConfigError(`Stagecraft settings are missing or invalid:\n${lines.join('\n')}`, { problems });
}

const memo = new Map<string, unknown>();

/** A fingerprint of the values a section reads (hashed: secrets never become map keys). */
export function fingerprint(section: { name: string; settings: readonly string[] }, env: Env): string {
  const h = createHash('sha256');
  for (const s of section.settings) h.update(`${s}\u0000${env[s] ?? '\u0001'}\u0000`);
  return `${section.name}:${h.digest('base64url')}`;
}

/**
 * The validated section, memoized per setting values (so a test that changes process.env gets a fresh value).
 * @throws ConfigError naming every bad setting of the section (zod sections), or the reader's own error.
 */
export function loadSection<T>(section: Section<T>, env: Env = process.env): T {
  if (section.kind === 'reader') return section.read(env);
  const key = fingerprint(section, env);
  if (memo.has(key)) return memo.get(key) as T;
  const r = section.safeLoad(env);
  if (!r.ok) throw settingsError(r.problems);
  memo.set(key, r.value);
  return r.value;
}

/** Problems of a section as start-up lines (`SETTING: problem. fix`, or `label: message` for reader sections). */
export function sectionProblems(section: Section, env: Env): string[] {
  if (section.kind === 'zod') {
    const r = section.safeLoad(env);
    return r.ok ? [] : r.problems.map((p) => `${p.setting}: ${p.problem}. ${p.fix}`);
  }
  try {
    section.read(env);
    return [];
  } catch (e) {
    return [`${section.label}: ${(e as Error).message}`];
  }
}
