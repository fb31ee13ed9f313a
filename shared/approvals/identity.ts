/**
 * Who is calling the approval API.
 * - Deployed: App Service authentication (Easy Auth) injects `x-ms-client-principal` (base64 JSON with `claims`,
 *   `name_typ`, `role_typ`); it is trusted only when settings say App Service auth is on, because anyone can send
 *   that header to an app without Easy Auth in front.
 * - Locally: a key (x-functions-key header or `code` query) listed in STAGECRAFT_APPROVER_KEYS names the user.
 * Groups come from the principal's group/role claims plus STAGECRAFT_APPROVER_GROUPS.
 */
import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { normalizeIdentity } from '../decisions/approval';
import type { ApprovalSettings } from './settings';

export interface Identity {
  id: string;
  groups: string[];
  via: 'app-service' | 'approver-key';
}

const ClientPrincipal = z.looseObject({
  auth_typ: z.string().optional(),
  name_typ: z.string().optional(),
  role_typ: z.string().optional(),
  claims: z.array(z.looseObject({ typ: z.string(), val: z.string() })).default([]),
});

const NAME_CLAIMS = ['preferred_username', 'upn', 'email', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', 'name'];
const GROUP_CLAIMS = ['groups', 'roles', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups'];

export function principalFromHeader(header: string): { id: string; groups: string[] } | undefined {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  const p = ClientPrincipal.safeParse(json);
  if (!p.success) return undefined;
  const claim = (typ: string) => p.data.claims.find((c) => c.typ === typ)?.val;
  const id = (p.data.name_typ ? claim(p.data.name_typ) : undefined) ?? NAME_CLAIMS.map(claim).find((v) => v !== undefined && v !== '');
  if (!id) return undefined;
  const groupTypes = new Set([...GROUP_CLAIMS, ...(p.data.role_typ ? [p.data.role_typ] : [])]);
  const groups = p.data.claims.filter((c) => groupTypes.has(c.typ)).map((c) => c.val);
  return { id, groups };
}

function keyOwner(settings: ApprovalSettings, presented: string): string | undefined {
  let owner: string | undefined;
  const p = Buffer.from(presented);
  for (const [key, user] of settings.approverKeys) {
    const k = Buffer.from(key);
    if (k.length === p.length && timingSafeEqual(k, p) && owner === undefined) owner = user;
  }
  return owner;
}

/** Identity of a request, or undefined when it carries none we trust. `headers` keys are lower-case. */
export function identify(headers: ReadonlyMap<string, string>, query: ReadonlyMap<string, string>, settings: ApprovalSettings): Identity | undefined {
  const withGroups = (id: string, groups: string[], via: Identity['via']): Identity => ({
    id,
    groups: [...new Set([...groups, ...(settings.groupsByUser.get(normalizeIdentity(id)) ?? [])])],
    via,
  });
  const principal = headers.get('x-ms-client-principal');
  if (settings.trustClientPrincipal && principal) {
    const p = principalFromHeader(principal);
    if (p) return withGroups(p.id, p.groups, 'app-service');
  }
  const key = headers.get('x-functions-key') ?? query.get('code');
  if (key) {
    const user = keyOwner(settings, key);
    if (user) return withGroups(user, [], 'approver-key');
  }
  return undefined;
}
