/**
 * Every settings section of the app, in one list: the start-up check (workflow-settings.ts `validateAllSettings`)
 * validates each of them, and `section(name, env)` gives one by name where it is needed.
 *
 * Adding settings: define a section next to the code that reads it (`defineSection(name, { SETTING: zodSchema },
 * build)`, or `readerSection(name, label, read)` for a reader that throws its own ConfigError) and add it to
 * `SECTIONS` below. Intake sources contribute theirs the same way: each source module exports its section
 * (`defineSection('intake.<source>', { ITS_SETTING: schema }, build)`), the sources' list exports them as one object,
 * and it is spread into `SECTIONS`; the settings' README rows stay in SETTINGS_DOC (settings.ts), whose every entry
 * must belong to some zod section here (checked at load).
 */
import { approvalSettings } from '../approvals/settings';
import { eventKeySettings } from '../auth/event-keys';
import { pipelinesSection } from '../pipelines/settings';
import { historyRetentionSection } from '../runs/purge';
import { runsSection } from '../runs/settings';
import { localServingSection } from '../serving/local/settings';
import { sinkSection } from '../sink';
import { telemetrySection } from '../telemetry/setup';
import { vcsSection } from '../vcs/settings';
import { gitSection, intakeSection, reconcilerSection, serviceBusSection, storageSection } from './core';
import type { Env } from './env';
import { jobsSection } from './jobs';
import { databricksSection, mlflowSection } from './registry';
import { loadSection, readerSection, type Section } from './section';
import { SETTING_NAMES } from './settings';

/** The sections by name (typed): `section('storage')`, `section('databricks', env)`. */
export const SECTIONS = {
  storage: storageSection,
  serviceBus: serviceBusSection,
  intake: intakeSection,
  git: gitSection,
  mlflow: mlflowSection,
  databricks: databricksSection,
  reconciler: reconcilerSection,
  jobs: jobsSection,
  approvals: readerSection('approvals', 'approval settings', approvalSettings),
  eventKeys: readerSection('eventKeys', 'event keys', eventKeySettings),
  runs: runsSection,
  pipelines: pipelinesSection,
  vcs: vcsSection,
  historyRetention: historyRetentionSection,
  telemetry: telemetrySection,
  sink: sinkSection,
  localServing: localServingSection,
} as const;

export type SectionName = keyof typeof SECTIONS;
type ValueOf<S> = S extends Section<infer T> ? T : never;

/** Every section, in the order the start-up check reports them. */
export const ALL_SECTIONS: readonly Section[] = Object.values(SECTIONS);

/** One section, validated (memoized per setting values for zod sections). @throws ConfigError naming the setting */
export function section<K extends SectionName>(name: K, env: Env = process.env): ValueOf<(typeof SECTIONS)[K]> {
  return loadSection(SECTIONS[name] as Section<ValueOf<(typeof SECTIONS)[K]>>, env);
}

// Every documented setting (SETTINGS_DOC, the README table) belongs to a zod section; checked when the list loads.
for (const name of SETTING_NAMES) {
  if (!ALL_SECTIONS.some((s) => s.kind === 'zod' && s.settings.includes(name)))
    throw new Error(`SETTINGS_DOC lists ${name} but no settings section has a schema for it`);
}
