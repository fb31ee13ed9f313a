import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { DatabricksJobsClient } from '../adapters/databricks';
import type { Env } from '../config/env';
import { localStateDir } from '../config/local-state';
import { defineSection, loadSection } from '../config/section';
import { servicesFor } from '../services';
import { optionalJson, optionalText } from '../setting-values';

/**
 * Pipelines settings (the `pipelines` section): REPO_CHECKOUTS (JSON object repo id → local directory, embedded
 * mode; repo ids lower-cased), STAGECRAFT_JOB_DEFINITIONS_DIR (local job definitions, default
 * `<local host state dir>/job-definitions`, see shared/config/local-state.ts). `pipelinesSettings` adds the
 * composition root's Databricks Jobs client (jobs/reset for Databricks definitions; DATABRICKS_HOST / DATABRICKS_TOKEN).
 */
export interface PipelinesSettings {
  checkouts: Record<string, string>;
  localDefinitionsDir: string;
  databricks: DatabricksJobsClient | undefined;
}

export const pipelinesSection = defineSection(
  'pipelines',
  {
    REPO_CHECKOUTS: optionalJson(
      z.record(z.string().min(1), z.string().min(1)),
      'must be a JSON object mapping repo ids to directories',
    ).transform((m) => Object.fromEntries(Object.entries(m ?? {}).map(([k, v]) => [k.toLowerCase(), v]))),
    STAGECRAFT_JOB_DEFINITIONS_DIR: optionalText,
  },
  (v) => ({ checkouts: v.REPO_CHECKOUTS, definitionsDir: v.STAGECRAFT_JOB_DEFINITIONS_DIR }),
);

/** @throws ConfigError naming REPO_CHECKOUTS when it is not a JSON object of directories */
export function pipelinesSettings(env: Env = process.env, cwd = process.cwd()): PipelinesSettings {
  const s = loadSection(pipelinesSection, env);
  return {
    checkouts: s.checkouts,
    localDefinitionsDir: resolve(s.definitionsDir ?? join(localStateDir(env, cwd), 'job-definitions')),
    databricks: servicesFor(env).databricksJobs(),
  };
}
