import { describe, expect, it } from 'vitest';
import type { AliasHistoryRow } from '../../shared/promotion/aliases';
import { targetStanding } from '../../shared/promotion/rollback';
import type { PromotionRecord } from '../../shared/promotion/types';

/** Which rollback targets may simply become champion again: only former champions of an approved promotion. */
const row = (after: string, instanceId: string, step: string, before: string | null = null): AliasHistoryRow => ({
  model: 'm',
  alias: 'champion',
  before,
  after,
  at: `2026-05-14T09:00:0${after}Z`,
  actor: 'x',
  reason: 'y',
  instanceId,
  step,
});
const promotion = (
  instanceId: string,
  version: string,
  outcome: PromotionRecord['outcome'],
  status?: string,
): PromotionRecord => ({
  promotionId: instanceId,
  instanceId,
  model: 'm',
  version,
  outcome,
  reason: '',
  validations: [],
  startedAt: '',
  finishedAt: '',
  steps: [],
  ...(status
    ? {
        approval: {
          approvalId: `apr-${instanceId}`,
          status,
          required: true,
          votes: status === 'approved' ? [{ approver: 'bob@contoso.com', verdict: 'approve', at: '' }] : [],
          escalations: [],
          remindersSent: 0,
        },
      }
    : {}),
});

describe('rollback target standing', () => {
  const records = new Map<string, PromotionRecord>([
    ['p1', promotion('p1', '1', 'promoted', 'approved')],
    ['p2', promotion('p2', '2', 'promoted', 'approved')],
  ]);
  const lookup = (_m: string, id: string) => Promise.resolve(records.get(id));

  it('allows a version that was champion through an approved promotion, naming it and its approvers', async () => {
    const s = await targetStanding(
      'm',
      '1',
      'champion',
      [row('1', 'p1', 'champion'), row('2', 'p2', 'champion', '1')],
      lookup,
    );
    expect(s).toEqual({
      approvedChampion: true,
      promotionInstanceId: 'p1',
      approvedBy: ['bob@contoso.com'],
      reason: 'v1 was champion through promotion p1, approved by bob@contoso.com',
    });
  });

  it('refuses a version that was never champion', async () => {
    expect(await targetStanding('m', '3', 'champion', [row('1', 'p1', 'champion')], lookup)).toEqual({
      approvedChampion: false,
      reason: 'v3 was never champion',
    });
  });

  it('refuses a version that became champion only by a rollback or a move without an approved promotion record', async () => {
    expect(await targetStanding('m', '4', 'champion', [row('4', 'rb1', 'rollback')], lookup)).toMatchObject({
      approvedChampion: false,
      reason: expect.stringContaining('no promotion record shows it approved') as unknown,
    });
    records.set('p5', promotion('p5', '5', 'rejected', 'rejected'));
    expect(await targetStanding('m', '5', 'champion', [row('5', 'p5', 'champion')], lookup)).toMatchObject({
      approvedChampion: false,
    });
    // A record of another version under the same instance id proves nothing about this one.
    expect(await targetStanding('m', '6', 'champion', [row('6', 'p1', 'champion')], lookup)).toMatchObject({
      approvedChampion: false,
    });
  });
});
