import { z } from 'zod';
import { ConfigError } from '../errors';
import type { Env } from '../config/env';

/**
 * Settings for reporting CI outcomes back to the git provider. Tokens are optional: without one the
 * report is skipped with a logged reason (never an error), so CI still runs in an unconfigured install.
 */
export interface VcsSettings {
  github: { token: string | undefined; apiUrl: string; kind: 'status' | 'check'; context: string };
  azureDevOps: { token: string | undefined; orgUrl: string | undefined; context: string };
}

const text = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
const url = text.pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional());

const Schema = z.object({
  GITHUB_TOKEN: text,
  GITHUB_API_URL: url,
  GITHUB_STATUS_KIND: text.pipe(z.enum(['status', 'check'], { error: "must be 'status' or 'check'" }).optional()),
  AZDO_TOKEN: text,
  AZDO_ORG_URL: url,
  CI_STATUS_CONTEXT: text,
});

export function vcsSettings(env: Env = process.env): VcsSettings {
  const r = Schema.safeParse({
    GITHUB_TOKEN: env['GITHUB_TOKEN'],
    GITHUB_API_URL: env['GITHUB_API_URL'],
    GITHUB_STATUS_KIND: env['GITHUB_STATUS_KIND'],
    AZDO_TOKEN: env['AZDO_TOKEN'],
    AZDO_ORG_URL: env['AZDO_ORG_URL'],
    CI_STATUS_CONTEXT: env['CI_STATUS_CONTEXT'],
  });
  if (!r.success) {
    const problems = r.error.issues.map((i) => ({ setting: String(i.path[0]), problem: i.message }));
    throw new ConfigError(
      `git provider settings are invalid: ${problems.map((p) => `${p.setting}: ${p.problem}`).join('; ')}`,
      { problems },
    );
  }
  const v = r.data;
  const context = v.CI_STATUS_CONTEXT ?? 'stagecraft/ci';
  return {
    github: {
      token: v.GITHUB_TOKEN,
      apiUrl: v.GITHUB_API_URL ?? 'https://api.github.com',
      kind: v.GITHUB_STATUS_KIND ?? 'status',
      context,
    },
    azureDevOps: { token: v.AZDO_TOKEN, orgUrl: v.AZDO_ORG_URL, context },
  };
}
