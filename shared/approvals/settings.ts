/**
 * Settings of the approval API (the `approvals` section, with the `auth` section):
 * - identity settings (STAGECRAFT_APPROVER_KEYS, STAGECRAFT_USER_ROLES, STAGECRAFT_APPROVER_GROUPS,
 *   STAGECRAFT_TRUST_CLIENT_PRINCIPAL, STAGECRAFT_AUTH_*, STAGECRAFT_GROUP_MAP): see shared/auth/settings.ts.
 * - STAGECRAFT_APPROVAL_LINK_SECRETS: comma-separated HMAC keys for one-click links; the first signs, any verifies
 *   (rotation). Unset: notifications carry no links.
 * - STAGECRAFT_PUBLIC_URL: base URL put in links (default https://$WEBSITE_HOSTNAME, else http://127.0.0.1:7071).
 * - STAGECRAFT_APPROVAL_LINK_TTL: how long a link stays valid (policy duration, default 24h; never past the deadline).
 */
import { z } from 'zod';
import { authSettings, type AuthSettings } from '../auth/settings';
import type { Env } from '../config/env';
import { defineSection, loadSection } from '../config/section';
import { durationWithDefault, list, optionalHttpUrl, optionalText } from '../setting-values';

export type { Env } from '../config/env';

export interface ApprovalSettings {
  /** Who callers are (keys, principal trust, roles, groups): the `auth` section. */
  auth: AuthSettings;
  linkSecrets: string[];
  publicBaseUrl: string;
  linkTtlMs: number;
}

const LOCAL_BASE_URL = 'http://127.0.0.1:7071';
const httpUrl = z.url({ protocol: /^https?$/ });

/** The `approvals` section: one-click links and the public URL they point at. */
export const approvalsSection = defineSection(
  'approvals',
  {
    STAGECRAFT_APPROVAL_LINK_SECRETS: list.refine(
      (secrets) => secrets.every((s) => s.length >= 16),
      'every secret must be at least 16 characters',
    ),
    STAGECRAFT_PUBLIC_URL: optionalHttpUrl,
    WEBSITE_HOSTNAME: optionalText,
    STAGECRAFT_APPROVAL_LINK_TTL: durationWithDefault('24h', 1, "must be a duration such as '24h'"),
  },
  (v): Omit<ApprovalSettings, 'auth'> => ({
    linkSecrets: v.STAGECRAFT_APPROVAL_LINK_SECRETS,
    publicBaseUrl: publicBase(v).replace(/\/+$/, ''),
    linkTtlMs: v.STAGECRAFT_APPROVAL_LINK_TTL,
  }),
  (v, report, failed) => {
    // The default from WEBSITE_HOSTNAME must be a URL too (the setting to fix is still STAGECRAFT_PUBLIC_URL).
    if (!failed('STAGECRAFT_PUBLIC_URL') && !httpUrl.safeParse(publicBase(v)).success)
      report('STAGECRAFT_PUBLIC_URL', 'must be an http(s) URL');
  },
);

/** STAGECRAFT_PUBLIC_URL, else https://$WEBSITE_HOSTNAME (App Service), else the local host. */
function publicBase(v: { STAGECRAFT_PUBLIC_URL?: string | undefined; WEBSITE_HOSTNAME?: string | undefined }): string {
  return v.STAGECRAFT_PUBLIC_URL ?? (v.WEBSITE_HOSTNAME ? `https://${v.WEBSITE_HOSTNAME}` : LOCAL_BASE_URL);
}

/** The `auth` and `approvals` sections together. @throws ConfigError naming every bad setting */
export function approvalSettings(env: Env = process.env): ApprovalSettings {
  return { auth: authSettings(env), ...loadSection(approvalsSection, env) };
}
