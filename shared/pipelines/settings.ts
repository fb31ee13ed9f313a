import { join, resolve } from 'node:path';
import type { DatabricksJobsClient } from '../adapters/databricks';
import type { Env } from '../config/env';
import { localStateDir } from '../config/local-state';
import { servicesFor } from '../services';
import { parseCheckouts } from '../vcs/contents';

/**
 * Pipelines settings: REPO_CHECKOUTS (JSON object repo id → local directory, embedded mode),
 * STAGECRAFT_JOB_DEFINITIONS_DIR (local job definitions, default `<local host state dir>/job-definitions`),
 * DATABRICKS_HOST / DATABRICKS_TOKEN (jobs/reset for Databricks definitions; the composition root's Jobs client).
 */
export interface PipelinesSettings {
  checkouts: Record<string, string>;
  localDefinitionsDir: string;
  databricks: DatabricksJobsClient | undefined;
}

export function pipelinesSettings(env: Env = process.env, cwd = process.cwd()): PipelinesSettings {
  return {
    checkouts: parseCheckouts(env['REPO_CHECKOUTS']),
    localDefinitionsDir: resolve(
      env['STAGECRAFT_JOB_DEFINITIONS_DIR']?.trim() || join(localStateDir(env, cwd), 'job-definitions'),
    ),
    databricks: servicesFor(env).databricksJobs(),
  };
}
