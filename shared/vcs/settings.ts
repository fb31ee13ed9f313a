import { z } from 'zod';
import type { Env } from '../config/env';
import { defineSection, loadSection } from '../config/section';
import { optionalHttpUrl, optionalText, textWithDefault } from '../setting-values';

/**
 * Settings for reporting CI outcomes back to the git provider (the `vcs` section). Tokens are optional: without one
 * the report is skipped with a logged reason (never an error), so CI still runs in an unconfigured install.
 */
export interface VcsSettings {
  github: { token: string | undefined; apiUrl: string; kind: 'status' | 'check'; context: string };
  azureDevOps: { token: string | undefined; orgUrl: string | undefined; context: string };
}

export const vcsSection = defineSection(
  'vcs',
  {
    GITHUB_TOKEN: optionalText,
    GITHUB_API_URL: optionalHttpUrl,
    GITHUB_STATUS_KIND: textWithDefault('status').pipe(
      z.enum(['status', 'check'], { error: "must be 'status' or 'check'" }),
    ),
    AZDO_TOKEN: optionalText,
    AZDO_ORG_URL: optionalHttpUrl,
    CI_STATUS_CONTEXT: textWithDefault('stagecraft/ci'),
  },
  (v): VcsSettings => ({
    github: {
      token: v.GITHUB_TOKEN,
      apiUrl: v.GITHUB_API_URL ?? 'https://api.github.com',
      kind: v.GITHUB_STATUS_KIND,
      context: v.CI_STATUS_CONTEXT,
    },
    azureDevOps: { token: v.AZDO_TOKEN, orgUrl: v.AZDO_ORG_URL, context: v.CI_STATUS_CONTEXT },
  }),
);

/** @throws ConfigError naming every invalid setting */
export function vcsSettings(env: Env = process.env): VcsSettings {
  return loadSection(vcsSection, env);
}
