import { describe, expect, it } from 'vitest';
import { identify, principalFromHeader } from '../../shared/approvals/identity';
import { approvalSettings } from '../../shared/approvals/settings';
import { isStagecraftError } from '../../shared/errors';

const KEY_A = 'alice-key-0123456789abcdef';
const KEY_B = 'bob-key-0123456789abcdefgh';
const env = { STAGECRAFT_APPROVER_KEYS: `alice@contoso.com=${KEY_A}, bob@contoso.com=${KEY_B}`, STAGECRAFT_APPROVER_GROUPS: 'ml-approvers=alice@contoso.com|carol' };
const principal = Buffer.from(JSON.stringify({ auth_typ: 'aad', name_typ: 'preferred_username', role_typ: 'roles', claims: [{ typ: 'preferred_username', val: 'erin@contoso.com' }, { typ: 'groups', val: 'ml-leads' }, { typ: 'roles', val: 'Approver' }] })).toString('base64');
const m = (o: Record<string, string>) => new Map(Object.entries(o));

describe('approver identity', () => {
  it('maps an approver key (header or code query) to its user and that user to its groups', () => {
    const s = approvalSettings(env);
    expect(identify(m({ 'x-functions-key': KEY_A }), m({}), s)).toEqual({ id: 'alice@contoso.com', groups: ['ml-approvers'], via: 'approver-key' });
    expect(identify(m({}), m({ code: KEY_B }), s)?.id).toBe('bob@contoso.com');
    expect(identify(m({ 'x-functions-key': 'wrong-key-0123456789abcdef' }), m({}), s)).toBeUndefined();
  });

  it('ignores x-ms-client-principal unless App Service authentication is trusted', () => {
    expect(identify(m({ 'x-ms-client-principal': principal }), m({}), approvalSettings(env))).toBeUndefined();
    const trusted = approvalSettings({ ...env, WEBSITE_AUTH_ENABLED: 'True' });
    expect(identify(m({ 'x-ms-client-principal': principal }), m({}), trusted)).toEqual({ id: 'erin@contoso.com', groups: ['ml-leads', 'Approver'], via: 'app-service' });
  });

  it('reads the name claim named by name_typ and survives malformed principals', () => {
    expect(principalFromHeader('not base64 json')).toBeUndefined();
    expect(principalFromHeader(Buffer.from('{"claims":[]}').toString('base64'))).toBeUndefined();
  });

  it('rejects short approver keys and bad settings with a ConfigError naming the setting', () => {
    for (const bad of [{ STAGECRAFT_APPROVER_KEYS: 'alice=short' }, { STAGECRAFT_APPROVER_KEYS: 'nokey' }, { STAGECRAFT_APPROVAL_LINK_SECRETS: 'tiny' }, { STAGECRAFT_PUBLIC_URL: 'ftp://x' }, { STAGECRAFT_APPROVAL_LINK_TTL: '1 day' }]) {
      let err: unknown;
      try {
        approvalSettings(bad);
      } catch (e) {
        err = e;
      }
      expect(isStagecraftError(err) && err.code).toBe('CONFIG_INVALID');
      expect((err as Error).message).toContain(Object.keys(bad)[0]);
    }
  });
});
