import { describe, expect, it } from 'vitest';
import { PolicyInvalidError, parsePolicyText, resolvePolicy } from '../../shared/policy';

/** Policy rules of issue #12: where approval links may go, unknown authors, rollback approval. */
const base = `
version: 1
channels:
  hook: { type: webhook, url: "http://127.0.0.1:9/hook" }
  dm: { type: direct-webhook, urlSetting: DM_URL, secretSetting: DM_SECRET }
  slack-dm: { type: slack-dm, tokenSetting: SLACK_BOT_TOKEN, users: { alice@contoso.com: U0ALICE } }
defaults:
  approval:
    approvers: { users: [alice@contoso.com, bob@contoso.com] }
  notify: [hook]
models:
`;

function issues(text: string): Record<string, string> {
  try {
    parsePolicyText(text, 'test.yaml');
  } catch (e) {
    if (e instanceof PolicyInvalidError) return Object.fromEntries(e.issues.map((i) => [i.path, i.message]));
    throw e;
  }
  throw new Error('expected the policy to be refused');
}

describe('approval link channel, unknown author and rollback policy', () => {
  it('defaults: unknown author needs an extra approval, no link channel, rollbacks need no approval but only go to approved champions', () => {
    const p = resolvePolicy(parsePolicyText(`${base}  m: {}\n`), 'm').policy;
    expect(p.approval).toMatchObject({ unknownAuthor: 'require-extra-approval' });
    expect(p.approval.linkChannel).toBeUndefined();
    expect(p.rollback).toEqual({ requireApproval: false, unapprovedTarget: 'promote' });
  });

  it('takes a direct channel as linkChannel (direct-webhook or slack-dm)', () => {
    expect(
      resolvePolicy(parsePolicyText(`${base}  m: { approval: { linkChannel: dm } }\n`), 'm').policy.approval
        .linkChannel,
    ).toBe('dm');
    expect(
      resolvePolicy(parsePolicyText(`${base}  m: { approval: { linkChannel: slack-dm } }\n`), 'm').policy.approval
        .linkChannel,
    ).toBe('slack-dm');
  });

  it('refuses links through a shared channel, an unknown link channel, and a direct channel in a notify list', () => {
    expect(issues(`${base}  m: { approval: { linkChannel: hook } }\n`)['models.m.approval.linkChannel']).toMatch(
      /shared webhook channel/,
    );
    expect(issues(`${base}  m: { approval: { linkChannel: nope } }\n`)['models.m.approval.linkChannel']).toMatch(
      /unknown channel/,
    );
    expect(issues(`${base}  m: { notify: [dm] }\n`)['models.m.notify[0]']).toMatch(/direct channel/);
  });

  it('refuses a direct-webhook without its signing secret and a Slack user map entry that is not a user id', () => {
    const e = issues(
      `version: 1\nchannels:\n  a: { type: direct-webhook, url: "https://x.example/a" }\n  b: { type: slack-dm, tokenSetting: T, users: { x@y.z: "#general" } }\n`,
    );
    expect(Object.keys(e)).toEqual(expect.arrayContaining(['channels.a.secretSetting']));
    expect(Object.entries(e).some(([k, v]) => k.startsWith('channels.b.users') && /Slack user id/.test(v))).toBe(true);
  });

  it('refuses a rollback quorum the approvers cannot reach', () => {
    expect(
      issues(`${base}  m: { rollback: { requireApproval: true, minApprovals: 3 } }\n`)[
        'models.m.rollback.minApprovals'
      ],
    ).toMatch(/needs 3 approvals but .* names only 2 approver/);
    expect(
      issues(
        `${base}  m: { approval: { required: false, approvers: { users: [] } }, rollback: { requireApproval: true } }\n`,
      )['models.m.rollback.requireApproval'],
    ).toMatch(/needs approvers/);
    expect(
      resolvePolicy(parsePolicyText(`${base}  m: { rollback: { requireApproval: true, minApprovals: 2 } }\n`), 'm')
        .policy.rollback.minApprovals,
    ).toBe(2);
  });
});
