/**
 * The approval store and decision service against real Azure Tables (Azurite): the race rules hold when the
 * writes really are concurrent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRequest } from '../../shared/approvals/model';
import { closeAtDeadline, decide } from '../../shared/approvals/service';
import { TableApprovalStore } from '../../shared/approvals/store';
import type { ApprovalRules } from '../../shared/decisions/approval';
import { sharedStorage, type AzuriteHandle } from '../records/azurite';

const T0 = Date.parse('2026-05-01T10:00:00Z');
let azurite: AzuriteHandle;
let store: TableApprovalStore;
let n = 0;

const rules: ApprovalRules = {
  approvers: { users: ['alice', 'bob', 'carol'] },
  minApprovals: 1,
  excludeAuthor: true,
  excludeTrigger: false,
  deadline: '30s',
  onDeadline: 'reject',
};

async function fresh(r: ApprovalRules = rules): Promise<string> {
  const id = `apr-test-${++n}`;
  await store.create(
    newRequest(
      {
        approvalId: id,
        instanceId: `i-${n}`,
        eventName: 'ApprovalDecision',
        model: 'm',
        version: String(n),
        rules: r,
        author: 'dave',
      },
      T0,
    ),
  );
  return id;
}

const actor = (id: string) => ({ id, groups: [], via: 'approver-key' });

beforeAll(async () => {
  azurite = await sharedStorage();
  store = TableApprovalStore.fromEnv({
    AzureWebJobsStorage: azurite.connectionString,
    RECORDS_TABLE_PREFIX: `T${Date.now()}`,
  });
});

afterAll(async () => {
  await azurite?.stop();
});

describe('approval store on Azure Tables', () => {
  it('creates a request once: a second create returns the stored one unchanged', async () => {
    const id = await fresh();
    const again = await store.create(
      newRequest({ approvalId: id, instanceId: 'other', eventName: 'x', model: 'm', version: '9', rules }, T0 + 5000),
    );
    expect(again).toMatchObject({ approvalId: id, instanceId: `i-${n}`, createdAt: new Date(T0).toISOString() });
  });

  it('two approvers deciding at once with minApprovals 1: exactly one decision is accepted, the other is refused as closed', async () => {
    const id = await fresh();
    const [a, b] = await Promise.all([
      decide(store, { approvalId: id, actor: actor('alice'), verdict: 'approve', nowMs: T0 + 1000 }),
      decide(store, { approvalId: id, actor: actor('bob'), verdict: 'reject', nowMs: T0 + 1000 }),
    ]);
    const accepted = [a, b].filter((o) => o.accepted);
    expect(accepted).toHaveLength(1);
    const refused = [a, b].find((o) => !o.accepted);
    expect(refused && !refused.accepted && refused.code).toBe('REQUEST_CLOSED');
    const final = (await store.get(id))!.request;
    expect(final.votes).toHaveLength(1);
    expect(final.status).toBe(final.votes[0]!.verdict === 'approve' ? 'approved' : 'rejected');
    const attempts = await store.attempts(id);
    expect(attempts.filter((x) => x.accepted)).toHaveLength(1);
    expect(attempts.filter((x) => x.code === 'REQUEST_CLOSED')).toHaveLength(1);
  });

  it('the same approver twice at once counts once; the repeat is an idempotent success', async () => {
    const id = await fresh({ ...rules, minApprovals: 2 });
    const outs = await Promise.all(
      [1, 2, 3].map(() =>
        decide(store, { approvalId: id, actor: actor('alice'), verdict: 'approve', nowMs: T0 + 1000 }),
      ),
    );
    expect(outs.every((o) => o.accepted)).toBe(true);
    expect(outs.filter((o) => o.accepted && !o.duplicate)).toHaveLength(1);
    const final = (await store.get(id))!.request;
    expect(final).toMatchObject({ status: 'pending', votes: [{ approver: 'alice', verdict: 'approve' }] });
  });

  it('a decision racing the deadline ends in one outcome, consistent with the audit trail', async () => {
    for (let round = 0; round < 4; round++) {
      const id = await fresh();
      const [d, closed] = await Promise.all([
        decide(store, { approvalId: id, actor: actor('carol'), verdict: 'approve', nowMs: T0 + 29_999 }),
        closeAtDeadline(store, id, T0 + 30_000),
      ]);
      const final = (await store.get(id))!.request;
      expect(['approved', 'expired']).toContain(final.status);
      expect(closed.status).toBe(final.status);
      if (final.status === 'approved') expect(d.accepted).toBe(true);
      else expect(!d.accepted && d.code).toBe('REQUEST_CLOSED');
      const attempts = await store.attempts(id);
      expect(attempts.filter((x) => x.accepted)).toHaveLength(1);
    }
  });

  it('refuses a decision that breaks the rules with a recorded message', async () => {
    const id = await fresh();
    const out = await decide(store, { approvalId: id, actor: actor('dave'), verdict: 'approve', nowMs: T0 + 1000 });
    expect(out).toMatchObject({ accepted: false, code: 'AUTHOR_EXCLUDED', status: 403 });
    const [attempt] = await store.attempts(id);
    expect(attempt).toMatchObject({ actor: 'dave', accepted: false, code: 'AUTHOR_EXCLUDED' });
    expect(attempt!.message).toContain('may not approve');
    expect((await store.get(id))!.request.status).toBe('pending');
  });

  it('lets one claimant use a link nonce, even when claims race', async () => {
    const id = await fresh();
    const claims = await Promise.all(
      [1, 2, 3, 4].map(() => store.claimLinkNonce(id, 'nonce-abcdefgh', 'alice', new Date(T0).toISOString())),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
  });

  it('lists requests filtered by status and model, newest first', async () => {
    const pending = await store.list({ status: 'pending', model: 'm' });
    expect(pending.length).toBeGreaterThan(0);
    expect(pending.every((r) => r.status === 'pending' && r.model === 'm')).toBe(true);
  });
});
