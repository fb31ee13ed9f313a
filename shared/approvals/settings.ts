/**
 * Settings of the approval API (read here until the lead folds them into shared/config):
 * - identity settings (STAGECRAFT_APPROVER_KEYS, STAGECRAFT_USER_ROLES, STAGECRAFT_APPROVER_GROUPS,
 *   STAGECRAFT_TRUST_CLIENT_PRINCIPAL, STAGECRAFT_AUTH_*, STAGECRAFT_GROUP_MAP): see shared/auth/settings.ts.
 * - STAGECRAFT_APPROVAL_LINK_SECRETS: comma-separated HMAC keys for one-click links; the first signs, any verifies
 *   (rotation). Unset: notifications carry no links.
 * - STAGECRAFT_PUBLIC_URL: base URL put in links (default https://$WEBSITE_HOSTNAME, else http://127.0.0.1:7071).
 * - STAGECRAFT_APPROVAL_LINK_TTL: how long a link stays valid (policy duration, default 24h; never past the deadline).
 */
import { z } from 'zod';
import { tryParseDuration } from '../decisions/duration';
import { ConfigError } from '../errors';
import { authSettings, type AuthSettings } from '../auth/settings';
import type { Env } from '../config/env';

export type { Env } from '../config/env';

export interface ApprovalSettings {
  /** Who callers are (keys, principal trust, roles, groups). */
  auth: AuthSettings;
  linkSecrets: string[];
  publicBaseUrl: string;
  linkTtlMs: number;
}

const BaseUrl = z.url({ protocol: /^https?$/ });

export function approvalSettings(env: Env = process.env): ApprovalSettings {
  const auth = authSettings(env);
  const linkSecrets = (env['STAGECRAFT_APPROVAL_LINK_SECRETS'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (linkSecrets.some((s) => s.length < 16)) {
    throw new ConfigError('STAGECRAFT_APPROVAL_LINK_SECRETS: every secret must be at least 16 characters', {
      setting: 'STAGECRAFT_APPROVAL_LINK_SECRETS',
    });
  }
  const host = env['WEBSITE_HOSTNAME']?.trim();
  const base = env['STAGECRAFT_PUBLIC_URL']?.trim() || (host ? `https://${host}` : 'http://127.0.0.1:7071');
  const parsedBase = BaseUrl.safeParse(base);
  if (!parsedBase.success)
    throw new ConfigError('STAGECRAFT_PUBLIC_URL must be an http(s) URL', { setting: 'STAGECRAFT_PUBLIC_URL' });
  const ttlText = env['STAGECRAFT_APPROVAL_LINK_TTL']?.trim() || '24h';
  const linkTtlMs = tryParseDuration(ttlText);
  if (linkTtlMs === undefined || linkTtlMs <= 0)
    throw new ConfigError("STAGECRAFT_APPROVAL_LINK_TTL must be a duration such as '24h'", {
      setting: 'STAGECRAFT_APPROVAL_LINK_TTL',
    });
  return { auth, linkSecrets, publicBaseUrl: parsedBase.data.replace(/\/+$/, ''), linkTtlMs };
}
