/**
 * Settings of the approval API (read here until the lead folds them into shared/config):
 * - STAGECRAFT_APPROVER_KEYS: `user=key,user2=key2` — local identities: a caller presenting `key` (x-functions-key
 *   header or `code` query) is `user`. Secrets: never logged.
 * - STAGECRAFT_APPROVER_GROUPS: `group=user|user2,group2=user3` — group membership for local identities.
 * - STAGECRAFT_TRUST_CLIENT_PRINCIPAL: `true` to accept App Service authentication's `x-ms-client-principal`
 *   (default: true only when App Service says authentication is on, WEBSITE_AUTH_ENABLED=True). Locally the header
 *   could be forged by anyone, so it is ignored unless trusted.
 * - STAGECRAFT_APPROVAL_LINK_SECRETS: comma-separated HMAC keys for one-click links; the first signs, any verifies
 *   (rotation). Unset: notifications carry no links.
 * - STAGECRAFT_PUBLIC_URL: base URL put in links (default https://$WEBSITE_HOSTNAME, else http://127.0.0.1:7071).
 * - STAGECRAFT_APPROVAL_LINK_TTL: how long a link stays valid (policy duration, default 24h; never past the deadline).
 */
import { z } from 'zod';
import { tryParseDuration } from '../decisions/duration';
import { ConfigError } from '../errors';

export type Env = Readonly<Record<string, string | undefined>>;

export interface ApprovalSettings {
  /** key → user id */
  approverKeys: ReadonlyMap<string, string>;
  /** user id (lower-case) → groups */
  groupsByUser: ReadonlyMap<string, string[]>;
  trustClientPrincipal: boolean;
  linkSecrets: string[];
  publicBaseUrl: string;
  linkTtlMs: number;
}

function pairs(raw: string | undefined, setting: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const part of (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0 || eq === part.length - 1) throw new ConfigError(`${setting}: each entry must be name=value (entry ${out.length + 1} is not)`, { setting });
    out.push([part.slice(0, eq).trim(), part.slice(eq + 1).trim()]);
  }
  return out;
}

const BaseUrl = z.url({ protocol: /^https?$/ });

export function approvalSettings(env: Env = process.env): ApprovalSettings {
  const approverKeys = new Map<string, string>();
  for (const [user, key] of pairs(env['STAGECRAFT_APPROVER_KEYS'], 'STAGECRAFT_APPROVER_KEYS')) {
    if (key.length < 16) throw new ConfigError(`STAGECRAFT_APPROVER_KEYS: the key of ${user} is shorter than 16 characters`, { setting: 'STAGECRAFT_APPROVER_KEYS' });
    approverKeys.set(key, user);
  }
  const groupsByUser = new Map<string, string[]>();
  for (const [group, members] of pairs(env['STAGECRAFT_APPROVER_GROUPS'], 'STAGECRAFT_APPROVER_GROUPS')) {
    for (const m of members.split('|').map((s) => s.trim().toLowerCase()).filter(Boolean)) {
      groupsByUser.set(m, [...(groupsByUser.get(m) ?? []), group]);
    }
  }
  const trustRaw = env['STAGECRAFT_TRUST_CLIENT_PRINCIPAL']?.trim().toLowerCase();
  const trustClientPrincipal = trustRaw === undefined || trustRaw === '' ? env['WEBSITE_AUTH_ENABLED']?.toLowerCase() === 'true' : trustRaw === 'true';
  const linkSecrets = (env['STAGECRAFT_APPROVAL_LINK_SECRETS'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (linkSecrets.some((s) => s.length < 16)) {
    throw new ConfigError('STAGECRAFT_APPROVAL_LINK_SECRETS: every secret must be at least 16 characters', { setting: 'STAGECRAFT_APPROVAL_LINK_SECRETS' });
  }
  const host = env['WEBSITE_HOSTNAME']?.trim();
  const base = env['STAGECRAFT_PUBLIC_URL']?.trim() || (host ? `https://${host}` : 'http://127.0.0.1:7071');
  const parsedBase = BaseUrl.safeParse(base);
  if (!parsedBase.success) throw new ConfigError('STAGECRAFT_PUBLIC_URL must be an http(s) URL', { setting: 'STAGECRAFT_PUBLIC_URL' });
  const ttlText = env['STAGECRAFT_APPROVAL_LINK_TTL']?.trim() || '24h';
  const linkTtlMs = tryParseDuration(ttlText);
  if (linkTtlMs === undefined || linkTtlMs <= 0) throw new ConfigError("STAGECRAFT_APPROVAL_LINK_TTL must be a duration such as '24h'", { setting: 'STAGECRAFT_APPROVAL_LINK_TTL' });
  return { approverKeys, groupsByUser, trustClientPrincipal, linkSecrets, publicBaseUrl: parsedBase.data.replace(/\/+$/, ''), linkTtlMs };
}
