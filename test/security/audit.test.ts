/** The audit log's record shape, day files and query filters (the blob sink itself runs in test/security/gate.test.ts). */
import { afterEach, describe, expect, it } from 'vitest';
import { appendAudit, dayPath, queryAudit, setAuditSink, type AuditRecord, type AuditSink } from '../../shared/audit';

function memorySink(): AuditSink & { days: Map<string, AuditRecord[]> } {
  const days = new Map<string, AuditRecord[]>();
  return {
    days,
    append: async (r) => void days.set(dayPath(r.time), [...(days.get(dayPath(r.time)) ?? []), r]),
    readDay: async (d) => days.get(d) ?? [],
  };
}

afterEach(() => setAuditSink(undefined));

describe('audit log', () => {
  it('stamps time and id, files entries by UTC day, and answers newest first filtered by action prefix, actor and window', async () => {
    const sink = memorySink();
    setAuditSink(sink);
    await appendAudit(
      { action: 'approval.decision', actor: 'Bob@Contoso.com', outcome: 'accepted', target: 'apr-1' },
      new Date('2026-12-05T23:59:00Z'),
    );
    await appendAudit(
      { action: 'approval.link', actor: 'alice@contoso.com', outcome: 'refused', reason: 'APPROVAL_LINK_NOT_YOURS' },
      new Date('2026-12-06T00:01:00Z'),
    );
    await appendAudit(
      { action: 'rollback.request', actor: 'olga@contoso.com', outcome: 'accepted' },
      new Date('2026-12-06T08:00:00Z'),
    );
    expect([...sink.days.keys()]).toEqual(['2026/12/05', '2026/12/06']);
    expect(sink.days.get('2026/12/05')![0]?.time).toBe('2026-12-05T23:59:00.000Z');
    expect(sink.days.get('2026/12/05')![0]?.id).toMatch(/^[0-9a-f-]{36}$/);

    const window = { from: new Date('2026-12-05T00:00:00Z'), to: new Date('2026-12-06T23:00:00Z'), limit: 100 };
    expect((await queryAudit(window, sink)).map((r) => r.action)).toEqual([
      'rollback.request',
      'approval.link',
      'approval.decision',
    ]);
    expect((await queryAudit({ ...window, action: 'approval.*' }, sink)).map((r) => r.action)).toEqual([
      'approval.link',
      'approval.decision',
    ]);
    expect((await queryAudit({ ...window, actor: 'bob@contoso.com' }, sink)).map((r) => r.target)).toEqual(['apr-1']);
    expect(await queryAudit({ ...window, from: new Date('2026-12-06T00:00:00Z'), limit: 1 }, sink)).toHaveLength(1);
  });

  it('refuses an entry without the contract fields', async () => {
    setAuditSink(memorySink());
    await expect(appendAudit({ action: 'x', actor: 'y', outcome: 'maybe' as 'accepted' })).rejects.toThrow();
  });
});
