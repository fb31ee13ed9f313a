/**
 * Settings of caller identity (the `auth` section; secrets never logged or put in errors):
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
import { z } from 'zod';
import type { Env } from '../config/env';
import { defineSection, loadSection } from '../config/section';
import { bars, MIN_KEY_LENGTH, optionalText, pairs, settingProblem } from '../setting-values';
import type { Role } from './identity';

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

const ROLES: readonly Role[] = ['approver', 'operator', 'admin'];
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `name=a|b,...` → member (lower-case) → names, e.g. user → groups, Entra group → policy groups. */
const membership = pairs.transform((entries) => {
  const out = new Map<string, string[]>();
  for (const [name, members] of entries)
    for (const m of bars(members).map((x) => x.toLowerCase())) out.set(m, [...(out.get(m) ?? []), name]);
  return out;
});

export const authSection = defineSection(
  'auth',
  {
    STAGECRAFT_APPROVER_KEYS: pairs.transform((entries, ctx) => {
      const keys = new Map<string, string>();
      for (const [user, key] of entries) {
        if (key.length < MIN_KEY_LENGTH)
          return settingProblem(ctx, `the key of ${user} is shorter than ${MIN_KEY_LENGTH} characters`);
        if (keys.has(key)) return settingProblem(ctx, `two identities share one key (${keys.get(key)} and ${user})`);
        keys.set(key, user);
      }
      return keys;
    }),
    STAGECRAFT_USER_ROLES: pairs.transform((entries, ctx) => {
      const rolesByUser = new Map<string, Role[]>();
      for (const [role, members] of entries) {
        const r = role.toLowerCase() as Role;
        if (!ROLES.includes(r)) return settingProblem(ctx, `'${role}' is not a role (use ${ROLES.join(', ')})`);
        for (const m of bars(members).map((x) => x.toLowerCase()))
          rolesByUser.set(m, [...new Set([...(rolesByUser.get(m) ?? []), r])]);
      }
      return rolesByUser;
    }),
    STAGECRAFT_APPROVER_GROUPS: membership,
    STAGECRAFT_GROUP_MAP: membership,
    // `true` trusts the principal; any other value does not; unset: trusted when App Service authentication is on.
    STAGECRAFT_TRUST_CLIENT_PRINCIPAL: optionalText.transform((v) =>
      v === undefined ? undefined : v.toLowerCase() === 'true',
    ),
    WEBSITE_AUTH_ENABLED: optionalText,
    STAGECRAFT_AUTH_PROVIDERS: z
      .string()
      .optional()
      .transform((v) => bars((v ?? '').replace(/,/g, '|')).map((p) => p.toLowerCase())),
    STAGECRAFT_AUTH_TENANT_ID: optionalText.pipe(
      z.string().regex(GUID, 'must be the Entra tenant id (a GUID)').optional(),
    ),
    WEBSITE_SITE_NAME: optionalText,
  },
  (v): AuthSettings => ({
    keys: v.STAGECRAFT_APPROVER_KEYS,
    rolesByUser: v.STAGECRAFT_USER_ROLES,
    groupsByUser: v.STAGECRAFT_APPROVER_GROUPS,
    trustClientPrincipal: trusted(v),
    providers: v.STAGECRAFT_AUTH_PROVIDERS.length ? v.STAGECRAFT_AUTH_PROVIDERS : ['aad'],
    tenantId: v.STAGECRAFT_AUTH_TENANT_ID?.toLowerCase(),
    groupMap: v.STAGECRAFT_GROUP_MAP,
  }),
  (v, report, failed) => {
    // In Azure (WEBSITE_SITE_NAME), a trusted principal from any tenant would be accepted without a tenant id.
    if (trusted(v) && v.WEBSITE_SITE_NAME !== undefined && v.STAGECRAFT_AUTH_TENANT_ID === undefined)
      if (!failed('STAGECRAFT_AUTH_TENANT_ID') && !failed('STAGECRAFT_TRUST_CLIENT_PRINCIPAL'))
        report(
          'STAGECRAFT_AUTH_TENANT_ID',
          "must be set when App Service authentication is trusted (otherwise any tenant's users would be accepted)",
        );
  },
);

function trusted(v: {
  STAGECRAFT_TRUST_CLIENT_PRINCIPAL?: boolean | undefined;
  WEBSITE_AUTH_ENABLED?: string | undefined;
}): boolean {
  return v.STAGECRAFT_TRUST_CLIENT_PRINCIPAL ?? v.WEBSITE_AUTH_ENABLED?.toLowerCase() === 'true';
}

/** Who callers may be. @throws ConfigError naming every bad setting (values of keys never appear) */
export function authSettings(env: Env = process.env): AuthSettings {
  return loadSection(authSection, env);
}
