/**
 * Every settings section of the app, in one list: the start-up check (workflow-settings.ts `validateAllSettings`)
 * validates each of them, and `section(name, env)` gives one by name where it is needed (a module that this list
 * imports uses `loadSection(itsSection, env)` instead, to avoid an import cycle; same value, same memo).
 *
 * Adding settings: define a section next to the code that reads it (`defineSection(name, { SETTING: zodSchema },
 * build)`, building blocks in shared/setting-values.ts), add it to `SECTIONS` below, and document each setting in
 * SETTINGS_DOC (settings.ts) or WORKFLOW_SETTINGS_DOC (workflow-settings-doc.ts): every documented setting must belong
 * to some section here (checked at load), and its description is what error messages tell the operator to set.
 * Intake sources declare their settings themselves; the `intake` section is derived from their list (core.ts).
 */
import { approvalsSection } from '../approvals/settings';
import { eventKeysSection } from '../auth/event-key-settings';
import { authSection } from '../auth/settings';
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
import { loadSection, type Section } from './section';
import { SETTING_NAMES } from './settings';
import { WORKFLOW_SETTINGS_DOC } from './workflow-settings-doc';

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
  auth: authSection,
  approvals: approvalsSection,
  eventKeys: eventKeysSection,
  runs: runsSection,
  pipelines: pipelinesSection,
  vcs: vcsSection,
  historyRetention: historyRetentionSection,
  telemetry: telemetrySection,
  sink: sinkSection,
  localServing: localServingSection,
} as const;

export type SectionName = keyof typeof SECTIONS;
type ValueOf<S> = S extends Section<infer T, infer _Shape> ? T : never;

/** Every section, in the order the start-up check reports them. */
export const ALL_SECTIONS: readonly Section[] = Object.values(SECTIONS);

/** One section, validated (memoized per setting values). @throws ConfigError naming every bad setting */
export function section<K extends SectionName>(name: K, env: Env = process.env): ValueOf<(typeof SECTIONS)[K]> {
  const s: Section = SECTIONS[name];
  return loadSection(s, env) as ValueOf<(typeof SECTIONS)[K]>;
}

// Every documented setting (SETTINGS_DOC and WORKFLOW_SETTINGS_DOC, the README tables) belongs to a section; checked
// when the list loads.
for (const name of [...SETTING_NAMES, ...WORKFLOW_SETTINGS_DOC.map((d) => d.name)]) {
  if (!ALL_SECTIONS.some((s) => s.settings.includes(name)))
    throw new Error(`the settings docs list ${name} but no settings section has a schema for it`);
}
