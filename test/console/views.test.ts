/**
 * The console's server-side view models without a host: run listing filters, paging and counts by status over
 * time; model names from model-keyed instance ids; secret redaction; the actions offered per status; whether a
 * person may vote (the same rules the decision route applies).
 */
import { describe, expect, it } from 'vitest';
import type { ApprovalRequest } from '../../shared/approvals/model';
import type { Identity } from '../../shared/auth/identity';
import { voteEligibility } from '../../shared/console/inbox';
import { redact, REDACTED } from '../../shared/console/redact';
import { actionsFor, runsView, withModelFromId } from '../../shared/console/runs';
import { RunsViewQuery } from '../../shared/console/schemas';
import type { RunSummary } from '../../shared/runs/query';

const run = (i: number, o: Partial<RunSummary> = {}): RunSummary => ({
  id: `promotion:m${i % 3}:${i}`,
  workflow: 'modelPromotion',
  status: i % 4 === 0 ? 'Failed' : 'Completed',
  createdTime: new Date(Date.UTC(2026, 11, 1, 0, i)).toISOString(),
  lastUpdatedTime: new Date(Date.UTC(2026, 11, 1, 0, i, 30)).toISOString(),
  ...o,
});
const q = (o: Record<string, string> = {}) => RunsViewQuery.parse(o);

describe('runs view', () => {
  const all = Array.from({ length: 120 }, (_, i) => withModelFromId(run(i)));

  it('pages newest first on the server and reports the total', () => {
    const v = runsView(all, q({ limit: '50', offset: '50' }));
    expect(v.total).toBe(120);
    expect(v.runs).toHaveLength(50);
    expect(v.runs[0]!.id).toBe('promotion:m0:69');
    expect(runsView(all, q({ limit: '50', offset: '100' })).runs).toHaveLength(20);
  });

  it('filters by model, status, time range and text; counts by status ignore the status filter', () => {
    const v = runsView(all, q({ model: 'm0', status: 'Failed' }));
    expect(v.runs.every((r) => r.model === 'm0' && r.status === 'Failed')).toBe(true);
    expect(v.byStatus['Completed']).toBeGreaterThan(0);
    const ranged = runsView(all, q({ from: '2026-12-01T00:10:00Z', to: '2026-12-01T00:19:00Z' }));
    expect(ranged.total).toBe(10);
    expect(runsView(all, q({ q: 'M2:11' })).runs.map((r) => r.id)).toEqual([
      'promotion:m2:119',
      'promotion:m2:116',
      'promotion:m2:113',
      'promotion:m2:110',
      'promotion:m2:11',
    ]);
  });

  it('buckets counts by status over time (at most 48 intervals, oldest first)', () => {
    const v = runsView(all, q());
    expect(v.buckets.length).toBeLessThanOrEqual(49);
    expect(v.buckets[0]!.start < v.buckets[v.buckets.length - 1]!.start).toBe(true);
    const sum = v.buckets.reduce((n, b) => n + Object.values(b.counts).reduce((a, c) => a + c, 0), 0);
    expect(sum).toBe(120);
  });

  it('takes the model from a model-keyed instance id (listings carry no input), unescaping it', () => {
    expect(withModelFromId(run(1, { id: 'promotion:fraud~2Fv2:3' })).model).toBe('fraud/v2');
    expect(withModelFromId(run(1, { id: 'ci:github:repo:abc' })).model).toBeUndefined();
    expect(withModelFromId(run(1, { id: 'promotion:sha256:xyz' })).model).toBeUndefined();
  });

  it('rejects bad queries naming the field', () => {
    expect(RunsViewQuery.safeParse({ from: 'yesterday' }).error?.issues[0]?.path).toEqual(['from']);
    expect(RunsViewQuery.safeParse({ limit: '1000' }).success).toBe(false);
    expect(RunsViewQuery.safeParse({ extra: 'x' }).success).toBe(false);
  });
});

describe('run detail helpers', () => {
  it('redacts secrets by key and by shape, keeps the rest', () => {
    const v = redact({
      model: 'm',
      token: 'abc',
      nested: { MLFLOW_TRACKING_PASSWORD: 'p', webhookSecret: 's', ok: 1 },
      conn: 'Endpoint=sb://x;SharedAccessKey=SECRETVALUE;',
      header: 'Bearer eyJhbGciOiJIUzI1NiJ9.abc',
      list: [{ apiKey: 'k' }],
    }) as Record<string, unknown>;
    expect(JSON.stringify(v)).not.toMatch(/abc"|SECRETVALUE|eyJhbGci|"p"|"s"|"k"/);
    expect(v).toMatchObject({
      model: 'm',
      token: REDACTED,
      nested: { MLFLOW_TRACKING_PASSWORD: REDACTED, webhookSecret: REDACTED, ok: 1 },
    });
  });

  it('offers only the actions that fit the status', () => {
    expect(actionsFor('Running')).toEqual(['terminate', 'suspend']);
    expect(actionsFor('Suspended')).toEqual(['resume', 'terminate']);
    expect(actionsFor('Completed')).toEqual(['restart', 'purge']);
    expect(actionsFor('Purged')).toEqual([]);
  });
});

describe('inbox vote eligibility', () => {
  const request: ApprovalRequest = {
    approvalId: 'a1',
    instanceId: 'promotion:m:2',
    eventName: 'approval',
    kind: 'model-promotion',
    model: 'm',
    version: '2',
    status: 'pending',
    createdAt: '2026-12-01T00:00:00.000Z',
    deadlineAt: '2026-12-01T01:00:00.000Z',
    author: 'dave@contoso.com',
    rules: {
      approvers: { users: ['alice@contoso.com', 'dave@contoso.com'] },
      minApprovals: 1,
      excludeAuthor: true,
      excludeTrigger: false,
      deadline: '1h',
    },
    votes: [],
    escalations: [],
    remindersSent: 0,
  };
  const who = (id: string, roles: Identity['roles'] = ['approver']): Identity => ({
    id,
    displayName: id,
    groups: [],
    roles,
    via: 'local-key',
  });
  const at = Date.parse('2026-12-01T00:30:00Z');

  it('an approver may vote; the author, an operator who is not an approver, and anyone after the deadline may not (with the reason)', () => {
    expect(voteEligibility(request, who('alice@contoso.com'), at)).toEqual({ canVote: true });
    const author = voteEligibility(request, who('dave@contoso.com'), at);
    expect(author.canVote).toBe(false);
    expect(author.whyNot).toContain('may not approve');
    const operator = voteEligibility(request, who('carol@contoso.com', ['approver', 'operator']), at);
    expect(operator.canVote).toBe(false);
    expect(operator.whyNot).toContain('not an approver');
    expect(voteEligibility(request, who('alice@contoso.com'), Date.parse('2026-12-01T02:00:00Z')).canVote).toBe(false);
  });
});
