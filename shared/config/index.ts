/**
 * The app's settings, in sections (shared/config/section.ts): each area validates the section it needs where it
 * needs it (`loadSection(section, env)` or `section('registry')`-style through shared/config/sections.ts), and the
 * start-up check validates every section (sections.ts `ALL_SECTIONS`). Readers take an injectable env (default
 * process.env) and fail loudly: a ConfigError naming every missing or invalid setting and what to set, never echoing
 * a secret value. `loadConfig` is the union of the core sections (storage, Service Bus, intake, git, MLflow,
 * reconcilers) for the HTTP intake and the router, which need them all.
 */
import { ConfigError } from '../errors';
import {
  gitSection,
  intakeSection,
  reconcilerSection,
  serviceBusSection,
  storageSection,
  type IntakeConfig,
  type ServiceBusConfig,
  type StorageConfig,
} from './core';
import type { Env } from './env';
import { mlflowSection } from './registry';
import { fixFor, settingsError, type SettingProblem } from './section';

export { SETTINGS_DOC, SETTING_NAMES, settingsMarkdownTable, type SettingDoc } from './settings';
export type { Env } from './env';
export type { IntakeConfig, ServiceBusConfig, StorageConfig } from './core';
export { defineSection, loadSection, type Section, type SettingProblem } from './section';

export interface StagecraftConfig {
  storage: StorageConfig;
  serviceBus: ServiceBusConfig;
  intake: IntakeConfig;
  git: { mainBranches: string[]; releasePatterns: string[] };
  mlflow: { trackingUri: string | undefined; token: string | undefined };
  reconciler: { schedule: string; models: string[] };
  ucReconciler: { targets: string[]; maxCalls: number };
  records: { tablePrefix: string; reportsContainer: string };
}

/**
 * Reads and validates the core settings (every section `loadConfig` returns).
 * @throws ConfigError listing every problem (`details.problems`), each naming the setting; values of secrets never appear.
 * @example
 * const config = loadConfig({ AzureWebJobsStorage: 'UseDevelopmentStorage=true', ServiceBusConnection: 'Endpoint=sb://127.0.0.1;...' });
 */
export function loadConfig(env: Env = process.env): StagecraftConfig {
  const problems: SettingProblem[] = [];
  const take = <T>(section: {
    safeLoad(env: Env): { ok: true; value: T } | { ok: false; problems: SettingProblem[] };
  }): T | undefined => {
    const r = section.safeLoad(env);
    if (r.ok) return r.value;
    problems.push(...r.problems);
    return undefined;
  };
  const storage = take(storageSection);
  const serviceBus = take(serviceBusSection);
  const intake = take(intakeSection);
  const git = take(gitSection);
  const mlflow = take(mlflowSection);
  const reconciler = take(reconcilerSection);
  if (problems.length > 0) throw settingsError(problems);
  return {
    storage: storage!.storage,
    records: storage!.records,
    serviceBus: serviceBus!,
    intake: intake!,
    git: git!,
    mlflow: { trackingUri: mlflow!.trackingUri, token: mlflow!.token },
    reconciler: reconciler!.reconciler,
    ucReconciler: reconciler!.ucReconciler,
  };
}

/**
 * A single setting with its default, for trigger options resolved when the app registers its functions. The Functions
 * host cannot apply a default to a `%NAME%` binding expression: an unset setting there disables the function (all
 * Service Bus triggers, the reconciler timer). So triggers never use `%NAME%` for a setting that has a default; they
 * read it here. An invalid value falls back to the default so registration still succeeds, and the start-up check
 * (run by functions/startup.ts) reports it by name.
 */
export function settingForTrigger(name: 'ServiceBusTopicName' | 'RECONCILER_SCHEDULE', env: Env = process.env): string {
  const schema =
    name === 'ServiceBusTopicName'
      ? serviceBusSection.schema.shape.ServiceBusTopicName
      : reconcilerSection.schema.shape.RECONCILER_SCHEDULE;
  const r = schema.safeParse(env[name]);
  return r.success ? r.data : schema.parse(undefined);
}
let cached: StagecraftConfig | undefined;

/** The process-wide config, read from process.env once. Settings changes need a restart (as in Azure). */
export function getConfig(): StagecraftConfig {
  cached ??= loadConfig(process.env);
  return cached;
}

/** Forget the cached config (tests that change process.env). */
export function resetConfigCache(): void {
  cached = undefined;
}

/** A setting a feature needs that is optional for the app as a whole; throws a ConfigError naming it. */
export function requireSetting<T>(value: T | undefined, name: string): T {
  if (value === undefined) {
    throw new ConfigError(`Setting ${name} is required for this feature. ${fixFor(name)}`, {
      problems: [{ setting: name, problem: 'missing', fix: fixFor(name) }],
    });
  }
  return value;
}
