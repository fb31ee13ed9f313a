/**
 * Settings of the job runners (shared/jobs/runner.ts). The Databricks runner reads the `databricks` section
 * (shared/config/registry.ts); the local runner these, plus where the app runs (WEBSITE_INSTANCE_ID / WEBSITE_SKU).
 */
import { defineSection } from './section';
import { optionalText } from '../setting-values';

export const jobsSection = defineSection(
  'jobs',
  {
    STAGECRAFT_JOBS_DIR: optionalText,
    STAGECRAFT_HOST_STATE_DIR: optionalText,
    STAGECRAFT_JOBS_BASE_DIR: optionalText,
    STAGECRAFT_POLICY_PATH: optionalText,
    WEBSITE_INSTANCE_ID: optionalText,
    WEBSITE_SKU: optionalText,
  },
  (v) => ({
    jobsDir: v.STAGECRAFT_JOBS_DIR,
    hostStateDir: v.STAGECRAFT_HOST_STATE_DIR,
    baseDir: v.STAGECRAFT_JOBS_BASE_DIR,
    policyPath: v.STAGECRAFT_POLICY_PATH,
    inAzure: v.WEBSITE_INSTANCE_ID !== undefined || v.WEBSITE_SKU !== undefined,
  }),
);
