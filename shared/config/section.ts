/**
 * A settings section: the settings one area reads, validated together where that area needs them
 * (`loadSection(section, env)`) and all at once at start-up (shared/config/sections.ts lists every section).
 *
 * `defineSection(name, shape, build, check?)`: a zod object over the setting names (each key IS a setting name, its
 * schema parses the raw `string | undefined` and applies the default; building blocks in shared/setting-values.ts);
 * every setting is parsed on its own so one error names every bad setting, `check` adds cross-setting rules (it sees
 * the settings that parsed, and `failed(name)` says which did not), and `build` shapes the typed value. Results are
 * memoized per setting values (the composition root builds clients from them once), so `build` must depend on the
 * section's settings only: a reader adds anything else (cwd, clients) on top. Two sections may read one setting
 * with one schema (the start-up check reports it once).
 * Errors name the setting, the problem and what to set (the setting's documentation), never a value.
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

export interface Section<T = unknown, S extends z.ZodRawShape = z.ZodRawShape> {
  name: string;
  /** The settings (names → zod schema of the raw value). */
  schema: z.ZodObject<S>;
  settings: readonly string[];
  /** Parses without throwing: the value or every problem. */
  safeLoad(env: Env): { ok: true; value: T } | { ok: false; problems: SettingProblem[] };
}

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
): Section<T, S> {
  const schema = z.object(shape);
  const settings = Object.keys(shape);
  return {
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
 * @throws ConfigError naming every bad setting of the section.
 */
export function loadSection<T>(section: Section<T>, env: Env = process.env): T {
  const key = fingerprint(section, env);
  if (memo.has(key)) return memo.get(key) as T;
  const r = section.safeLoad(env);
  if (!r.ok) throw settingsError(r.problems);
  memo.set(key, r.value);
  return r.value;
}

/** Problems of a section as start-up lines (`SETTING: problem. fix`). */
export function sectionProblems(section: Section, env: Env): string[] {
  const r = section.safeLoad(env);
  return r.ok ? [] : r.problems.map((p) => `${p.setting}: ${p.problem}. ${p.fix}`);
}
