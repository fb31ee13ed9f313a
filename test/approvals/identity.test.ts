import { describe, expect, it } from 'vitest';
import { authenticate, type AuthOutcome } from '../../shared/auth/identity';
import { authSettings } from '../../shared/auth/settings';
import { eventKeySettings } from '../../shared/auth/event-key-settings';
import { checkEventScope, stampRequestedBy } from '../../shared/auth/event-keys';
import { approvalSettings } from '../../shared/approvals/settings';
import { isStagecraftError } from '../../shared/errors';

const KEY_A = 'alice-key-0123456789abcdef';
const KEY_B = 'bob-key-0123456789abcdefgh';
const TENANT = '11111111-2222-3333-4444-555555555555';
const GROUP_OID = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const env = {
  STAGECRAFT_APPROVER_KEYS: `alice@contoso.com=${KEY_A}, bob@contoso.com=${KEY_B}`,
  STAGECRAFT_APPROVER_GROUPS: 'ml-approvers=alice@contoso.com|carol',
  STAGECRAFT_USER_ROLES: 'operator=bob@contoso.com,admin=carol@contoso.com',
};
const trusted = {
  ...env,
  STAGECRAFT_TRUST_CLIENT_PRINCIPAL: 'true',
  STAGECRAFT_AUTH_TENANT_ID: TENANT,
  STAGECRAFT_GROUP_MAP: `ml-leads=${GROUP_OID}|Stagecraft.Leads`,
};
const m = (o: Record<string, string>) => new Map(Object.entries(o));
function principal(o: { auth_typ?: string; claims: Array<[string, string]> }): string {
  return Buffer.from(
    JSON.stringify({
      auth_typ: o.auth_typ ?? 'aad',
      name_typ: 'name',
      role_typ: 'roles',
      claims: o.claims.map(([typ, val]) => ({ typ, val })),
    }),
  ).toString('base64');
}
const aad = (extra: Array<[string, string]> = []) =>
  principal({
    claims: [
      ['tid', TENANT],
      ['oid', '99999999-0000-0000-0000-000000000001'],
      ['preferred_username', 'Erin@Contoso.com'],
      ['name', 'Erin E'],
      ...extra,
    ],
  });
const id = (o: AuthOutcome) => (o.kind === 'identity' ? o.identity : undefined);

describe('caller identity', () => {
  it('maps a local key in a header to its user, groups and roles; never reads the query; a wrong key is refused', () => {
    const s = authSettings(env);
    expect(id(authenticate(m({ 'x-stagecraft-key': KEY_A }), s))).toEqual({
      id: 'alice@contoso.com',
      displayName: 'alice@contoso.com',
      groups: ['ml-approvers'],
      roles: ['approver'],
      via: 'local-key',
    });
    expect(id(authenticate(m({ 'x-functions-key': KEY_B }), s))?.roles).toEqual(['approver', 'operator']);
    expect(authenticate(m({ 'x-stagecraft-key': 'wrong-key-0123456789abcdef' }), s)).toMatchObject({
      kind: 'refused',
      status: 401,
      code: 'AUTH_KEY_INVALID',
    });
    // function-key routes: x-functions-key is the host's key, not an identity
    expect(authenticate(m({ 'x-functions-key': KEY_A }), s, { keyHeaders: ['x-stagecraft-key'] })).toEqual({
      kind: 'none',
    });
  });

  it('ignores x-ms-client-principal unless App Service authentication is trusted', () => {
    expect(authenticate(m({ 'x-ms-client-principal': aad() }), authSettings(env))).toEqual({ kind: 'none' });
    const who = id(
      authenticate(
        m({
          'x-ms-client-principal': aad([
            ['roles', 'Stagecraft.Admin'],
            ['groups', GROUP_OID],
          ]),
        }),
        authSettings(trusted),
      ),
    );
    expect(who).toMatchObject({
      id: 'erin@contoso.com',
      displayName: 'Erin E',
      tenantId: TENANT,
      objectId: '99999999-0000-0000-0000-000000000001',
      groups: ['ml-leads'],
      roles: ['operator', 'admin'],
      via: 'app-service',
    });
  });

  it('a principal from another provider, another tenant, or without tenant/object id/UPN is refused; name is never the id', () => {
    const s = authSettings(trusted);
    const github = principal({
      auth_typ: 'github',
      claims: [
        ['name', 'alice@contoso.com'],
        ['preferred_username', 'alice@contoso.com'],
      ],
    });
    expect(authenticate(m({ 'x-ms-client-principal': github }), s)).toMatchObject({
      kind: 'refused',
      status: 403,
      code: 'AUTH_PROVIDER_NOT_ACCEPTED',
    });
    const other = principal({
      claims: [
        ['tid', '99999999-2222-3333-4444-555555555555'],
        ['oid', 'x'],
        ['preferred_username', 'alice@contoso.com'],
      ],
    });
    expect(authenticate(m({ 'x-ms-client-principal': other }), s)).toMatchObject({
      kind: 'refused',
      code: 'AUTH_TENANT_NOT_ACCEPTED',
    });
    const nameOnly = principal({
      claims: [
        ['tid', TENANT],
        ['oid', 'x'],
        ['name', 'alice@contoso.com'],
      ],
    });
    expect(authenticate(m({ 'x-ms-client-principal': nameOnly }), s)).toMatchObject({
      kind: 'refused',
      code: 'AUTH_PRINCIPAL_INCOMPLETE',
    });
    expect(authenticate(m({ 'x-ms-client-principal': 'not base64 json' }), s)).toMatchObject({
      kind: 'refused',
      status: 401,
    });
  });

  it('rejects short keys, unknown roles, a non-GUID tenant and trust in Azure without a tenant, naming the setting', () => {
    for (const bad of [
      { STAGECRAFT_APPROVER_KEYS: 'alice=short' },
      { STAGECRAFT_APPROVER_KEYS: 'nokey' },
      { STAGECRAFT_USER_ROLES: 'root=alice' },
      { STAGECRAFT_AUTH_TENANT_ID: 'contoso' },
      { STAGECRAFT_APPROVAL_LINK_SECRETS: 'tiny' },
      { STAGECRAFT_PUBLIC_URL: 'ftp://x' },
      { STAGECRAFT_APPROVAL_LINK_TTL: '1 day' },
      { STAGECRAFT_EVENT_KEYS: 'ci=short:promote.requested' },
    ]) {
      let err: unknown;
      try {
        approvalSettings(bad);
        eventKeySettings(bad);
      } catch (e) {
        err = e;
      }
      expect(isStagecraftError(err) && err.code).toBe('CONFIG_INVALID');
      expect((err as Error).message).toContain(Object.keys(bad)[0]);
    }
    expect(() => authSettings({ WEBSITE_AUTH_ENABLED: 'True', WEBSITE_SITE_NAME: 'stagecraft-prod' })).toThrow(
      /STAGECRAFT_AUTH_TENANT_ID/,
    );
  });

  it('privileged event types need a key scoped to them; the key name becomes requestedBy', () => {
    const keys = eventKeySettings({
      STAGECRAFT_EVENT_KEYS:
        'ci-bot=ci-bot-key-0123456789abcdef:promote.requested,drift=drift-bot-key-0123456789abc:io.stagecraft.drift.detected',
    });
    const promote = 'io.stagecraft.promote.requested';
    expect(checkEventScope(m({}), ['io.stagecraft.drift.detected'], keys)).toEqual({ kind: 'plain' });
    expect(() => checkEventScope(m({}), [promote], keys)).toThrow(
      expect.objectContaining({ code: 'EVENT_TYPE_NOT_PERMITTED', status: 403 }),
    );
    expect(() =>
      checkEventScope(m({ 'x-stagecraft-event-key': 'drift-bot-key-0123456789abc' }), [promote], keys),
    ).toThrow(/not scoped to/);
    expect(checkEventScope(m({ 'x-stagecraft-event-key': 'ci-bot-key-0123456789abcdef' }), [promote], keys)).toEqual({
      kind: 'scoped',
      keyName: 'ci-bot',
      types: [promote],
    });
    const h = m({ 'content-type': 'application/cloudevents+json' });
    expect(stampRequestedBy(h, { type: promote, data: { requestedBy: 'mallory' } }, 'ci-bot')).toEqual({
      type: promote,
      data: { requestedBy: 'ci-bot' },
    });
  });
});
