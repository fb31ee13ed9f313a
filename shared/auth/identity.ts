/**
 * Who is calling (one place for every HTTP route).
 * - Azure: App Service authentication injects `x-ms-client-principal` (base64 JSON: `auth_typ`, `claims`). It is
 *   trusted only when settings say App Service authentication is in front. The identity is the (tenant, object id)
 *   of a principal from an accepted provider (`aad` by default) in the configured tenant; its `id` is the lower-cased
 *   `preferred_username`/UPN — never the display `name`, never an e-mail from another provider.
 * - Locally: a named key (`x-stagecraft-key` header; `x-functions-key` on routes the host does not key-check). Keys
 *   in the query string are never read (they end up in access logs).
 * Invariants: a credential that is presented but wrong is refused (never silently ignored); an untrusted principal
 * header is ignored; secrets never appear in errors.
 */
import { firstMatchingSecret } from '../crypto/constant-time';
import { z } from 'zod';
import type { AuthSettings } from './settings';

export type Role = 'approver' | 'operator' | 'admin';

export interface Identity {
  /** The name policies use: lower-cased UPN in Azure, or the local key's user name. */
  id: string;
  displayName: string;
  /** Entra object id (Azure only). */
  objectId?: string;
  /** Entra tenant id (Azure only). */
  tenantId?: string;
  /** Policy group names this identity is in. */
  groups: string[];
  /** App roles; admin implies operator. */
  roles: Role[];
  via: 'app-service' | 'local-key';
}

export type AuthOutcome =
  | { kind: 'identity'; identity: Identity }
  | { kind: 'none' }
  | { kind: 'refused'; status: 401 | 403; code: string; message: string };

export interface AuthenticateOptions {
  /** Headers carrying identity keys, lower-case, in order (default `x-stagecraft-key`, `x-functions-key`). */
  keyHeaders?: readonly string[];
}

export const IDENTITY_KEY_HEADER = 'x-stagecraft-key';

const ClientPrincipal = z.looseObject({
  auth_typ: z.string().optional(),
  name_typ: z.string().optional(),
  role_typ: z.string().optional(),
  claims: z.array(z.looseObject({ typ: z.string(), val: z.string() })).default([]),
});

const TENANT_CLAIMS = ['http://schemas.microsoft.com/identity/claims/tenantid', 'tid'];
const OID_CLAIMS = ['http://schemas.microsoft.com/identity/claims/objectidentifier', 'oid'];
const UPN_CLAIMS = ['preferred_username', 'upn', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn'];
const ROLE_CLAIMS = ['roles', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role'];
const GROUP_CLAIMS = ['groups', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups'];
const APP_ROLES: Record<string, Role> = {
  'stagecraft.approver': 'approver',
  'stagecraft.operator': 'operator',
  'stagecraft.admin': 'admin',
};

function withImplied(roles: Iterable<Role>): Role[] {
  const set = new Set(roles);
  if (set.has('admin')) set.add('operator');
  return (['approver', 'operator', 'admin'] as const).filter((r) => set.has(r));
}

function refused(status: 401 | 403, code: string, message: string): AuthOutcome {
  return { kind: 'refused', status, code, message };
}

/** Parses and checks an App Service principal; never trusts a claim it did not check. */
export function principalIdentity(header: string, settings: AuthSettings): AuthOutcome {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  } catch {
    return refused(401, 'AUTH_PRINCIPAL_INVALID', 'x-ms-client-principal is not base64 JSON');
  }
  const p = ClientPrincipal.safeParse(json);
  if (!p.success) return refused(401, 'AUTH_PRINCIPAL_INVALID', 'x-ms-client-principal is not a client principal');
  const provider = (p.data.auth_typ ?? '').toLowerCase();
  if (!settings.providers.includes(provider)) {
    return refused(
      403,
      'AUTH_PROVIDER_NOT_ACCEPTED',
      `sign-in provider '${provider || '(none)'}' is not accepted here (accepted: ${settings.providers.join(', ')})`,
    );
  }
  const all = (types: readonly string[]) =>
    p.data.claims
      .filter((c) => types.includes(c.typ))
      .map((c) => c.val.trim())
      .filter(Boolean);
  const first = (types: readonly string[]) => all(types)[0];
  const tenantId = first(TENANT_CLAIMS)?.toLowerCase();
  const objectId = first(OID_CLAIMS)?.toLowerCase();
  if (!tenantId || !objectId)
    return refused(403, 'AUTH_PRINCIPAL_INCOMPLETE', 'the signed-in principal carries no tenant id or object id');
  if (settings.tenantId !== undefined && tenantId !== settings.tenantId) {
    return refused(403, 'AUTH_TENANT_NOT_ACCEPTED', 'the signed-in principal belongs to another tenant');
  }
  const upn = first(UPN_CLAIMS)?.toLowerCase();
  if (!upn)
    return refused(403, 'AUTH_PRINCIPAL_INCOMPLETE', 'the signed-in principal carries no preferred_username or upn');
  const roleValues = all([...ROLE_CLAIMS, ...(p.data.role_typ ? [p.data.role_typ] : [])]).map((r) => r.toLowerCase());
  const roles = roleValues.map((r) => APP_ROLES[r]).filter((r): r is Role => r !== undefined);
  const sources = [...all(GROUP_CLAIMS).map((g) => g.toLowerCase()), ...roleValues];
  const groups = sources.flatMap((s) => settings.groupMap.get(s) ?? []);
  const name = first(['name']) ?? upn;
  return {
    kind: 'identity',
    identity: finish(settings, { id: upn, displayName: name, objectId, tenantId, groups, roles, via: 'app-service' }),
  };
}

/** Adds configured groups and roles by id; dedupes. */
function finish(settings: AuthSettings, base: Identity): Identity {
  const key = base.id.trim().toLowerCase();
  return {
    ...base,
    groups: [...new Set([...base.groups, ...(settings.groupsByUser.get(key) ?? [])])],
    roles: withImplied([...base.roles, ...(settings.rolesByUser.get(key) ?? [])]),
  };
}

function keyOwner(settings: AuthSettings, presented: string): string | undefined {
  return firstMatchingSecret(presented, settings.keys, ([key]) => key)?.[1];
}

/** The identity behind a request's headers (lower-case keys). The query string is never read. */
export function authenticate(
  headers: ReadonlyMap<string, string>,
  settings: AuthSettings,
  options: AuthenticateOptions = {},
): AuthOutcome {
  const principal = headers.get('x-ms-client-principal');
  if (settings.trustClientPrincipal && principal) return principalIdentity(principal, settings);
  for (const h of options.keyHeaders ?? [IDENTITY_KEY_HEADER, 'x-functions-key']) {
    const key = headers.get(h);
    if (!key) continue;
    const user = keyOwner(settings, key);
    if (!user) return refused(401, 'AUTH_KEY_INVALID', `the key in ${h} is not an identity key`);
    return {
      kind: 'identity',
      identity: finish(settings, { id: user, displayName: user, groups: [], roles: ['approver'], via: 'local-key' }),
    };
  }
  return { kind: 'none' };
}

export function hasRole(who: Identity, role: Role): boolean {
  return who.roles.includes(role) || (role === 'operator' && who.roles.includes('admin'));
}
