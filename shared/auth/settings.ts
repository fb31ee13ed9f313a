/**
 * Settings of caller identity (read from the environment; secrets never logged):
 * - STAGECRAFT_APPROVER_KEYS: `user=key,user2=key2` — local identity keys: a caller presenting `key` in the
 *   `x-stagecraft-key` header (or `x-functions-key` on routes the host does not key-check) is `user`. Never the query.
 * - STAGECRAFT_USER_ROLES: `operator=user|user2,admin=user3` — roles of identities (admin implies operator).
 *   Every identity with a local key is an approver (whether it may decide a request is the policy's business).
 * - STAGECRAFT_APPROVER_GROUPS: `group=user|user2` — policy group membership by identity id.
 * - STAGECRAFT_TRUST_CLIENT_PRINCIPAL: `true` to accept App Service authentication's `x-ms-client-principal`
 *   (default: only when WEBSITE_AUTH_ENABLED=True). Anyone can send that header to an app without App Service
 *   authentication in front, so it is ignored unless trusted.
 * - STAGECRAFT_AUTH_PROVIDERS: identity providers (`auth_typ`) accepted from the principal (default `aad`).
 * - STAGECRAFT_AUTH_TENANT_ID: the Entra tenant callers must belong to; required when the principal is trusted in
 *   Azure (WEBSITE_SITE_NAME set).
 * - STAGECRAFT_GROUP_MAP: `ml-approvers=<group-object-id>|<app-role>,...` — policy group names from Entra group
 *   object ids or app role values.
 */
import { ConfigError } from '../errors';
import type { Role } from './identity';
import type { Env } from '../config/env';

export type { Env } from '../config/env';

export interface AuthSettings {
  /** key → user id (as configured) */
  keys: ReadonlyMap<string, string>;
  /** user id (lower-case) → roles from configuration */
  rolesByUser: ReadonlyMap<string, Role[]>;
  /** user id (lower-case) → policy groups */
  groupsByUser: ReadonlyMap<string, string[]>;
  trustClientPrincipal: boolean;
  providers: readonly string[];
  tenantId: string | undefined;
  /** Entra group object id or app role value (lower-case) → policy groups */
  groupMap: ReadonlyMap<string, string[]>;
}

/** `name=value,...` entries; values may hold `=` (keys do not). */
export function settingPairs(raw: string | undefined, setting: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const part of (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0 || eq === part.length - 1)
      throw new ConfigError(`${setting}: each entry must be name=value (entry ${out.length + 1} is not)`, { setting });
    out.push([part.slice(0, eq).trim(), part.slice(eq + 1).trim()]);
  }
  return out;
}

const bars = (s: string) =>
  s
    .split('|')
    .map((x) => x.trim())
    .filter(Boolean);
const ROLES: readonly Role[] = ['approver', 'operator', 'admin'];
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const MIN_KEY_LENGTH = 16;

export function authSettings(env: Env = process.env): AuthSettings {
  const keys = new Map<string, string>();
  for (const [user, key] of settingPairs(env['STAGECRAFT_APPROVER_KEYS'], 'STAGECRAFT_APPROVER_KEYS')) {
    if (key.length < MIN_KEY_LENGTH)
      throw new ConfigError(
        `STAGECRAFT_APPROVER_KEYS: the key of ${user} is shorter than ${MIN_KEY_LENGTH} characters`,
        { setting: 'STAGECRAFT_APPROVER_KEYS' },
      );
    if (keys.has(key))
      throw new ConfigError(`STAGECRAFT_APPROVER_KEYS: two identities share one key (${keys.get(key)} and ${user})`, {
        setting: 'STAGECRAFT_APPROVER_KEYS',
      });
    keys.set(key, user);
  }
  const rolesByUser = new Map<string, Role[]>();
  for (const [role, members] of settingPairs(env['STAGECRAFT_USER_ROLES'], 'STAGECRAFT_USER_ROLES')) {
    const r = role.toLowerCase() as Role;
    if (!ROLES.includes(r))
      throw new ConfigError(`STAGECRAFT_USER_ROLES: '${role}' is not a role (use ${ROLES.join(', ')})`, {
        setting: 'STAGECRAFT_USER_ROLES',
      });
    for (const m of bars(members).map((x) => x.toLowerCase()))
      rolesByUser.set(m, [...new Set([...(rolesByUser.get(m) ?? []), r])]);
  }
  const groupsByUser = new Map<string, string[]>();
  for (const [group, members] of settingPairs(env['STAGECRAFT_APPROVER_GROUPS'], 'STAGECRAFT_APPROVER_GROUPS')) {
    for (const m of bars(members).map((x) => x.toLowerCase()))
      groupsByUser.set(m, [...(groupsByUser.get(m) ?? []), group]);
  }
  const groupMap = new Map<string, string[]>();
  for (const [group, sources] of settingPairs(env['STAGECRAFT_GROUP_MAP'], 'STAGECRAFT_GROUP_MAP')) {
    for (const s of bars(sources).map((x) => x.toLowerCase())) groupMap.set(s, [...(groupMap.get(s) ?? []), group]);
  }
  const trustRaw = env['STAGECRAFT_TRUST_CLIENT_PRINCIPAL']?.trim().toLowerCase();
  const trustClientPrincipal =
    trustRaw === undefined || trustRaw === ''
      ? env['WEBSITE_AUTH_ENABLED']?.trim().toLowerCase() === 'true'
      : trustRaw === 'true';
  const providers = bars((env['STAGECRAFT_AUTH_PROVIDERS'] ?? '').replace(/,/g, '|')).map((p) => p.toLowerCase());
  const tenantId = env['STAGECRAFT_AUTH_TENANT_ID']?.trim() || undefined;
  if (tenantId !== undefined && !GUID.test(tenantId))
    throw new ConfigError('STAGECRAFT_AUTH_TENANT_ID must be the Entra tenant id (a GUID)', {
      setting: 'STAGECRAFT_AUTH_TENANT_ID',
    });
  const inAzure = !!env['WEBSITE_SITE_NAME']?.trim();
  if (trustClientPrincipal && inAzure && tenantId === undefined) {
    throw new ConfigError(
      "STAGECRAFT_AUTH_TENANT_ID must be set when App Service authentication is trusted (otherwise any tenant's users would be accepted)",
      { setting: 'STAGECRAFT_AUTH_TENANT_ID' },
    );
  }
  return {
    keys,
    rolesByUser,
    groupsByUser,
    trustClientPrincipal,
    providers: providers.length ? providers : ['aad'],
    tenantId: tenantId?.toLowerCase(),
    groupMap,
  };
}
