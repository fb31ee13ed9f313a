/**
 * What the demo reads from and asks of the running Stagecraft host: its HTTP API (approvals, runs, rollback) and
 * its records in Azurite, read with the app's own record modules (the same code that wrote them).
 */
import { aliasHistoryFromEnv, type AliasHistoryRow } from '../../shared/promotion/aliases';
import { approvalLinks } from '../../shared/approvals/links';
import { getPromotionRecord, listValidations } from '../../shared/promotion/records';
import { getRollbackRecord, type RollbackRecord } from '../../shared/promotion/rollback';
import type { PromotionRecord } from '../../shared/promotion/types';
import type { RunDetail, RunSummary } from '../../shared/runs/query';

export interface Approval {
  id: string;
  model: string;
  version: string;
  status: string;
  reason?: string;
  createdAt?: string;
  deadlineAt?: string;
  closedAt?: string;
  instanceId: string;
  votes: Array<{ approver: string; verdict: string; at: string; comment?: string }>;
}

export class StagecraftApi {
  constructor(
    readonly url: string,
    private readonly keys: { function: string; approver: string },
    private readonly storageEnv: () => Record<string, string>,
  ) {}

  /** The function key goes in x-functions-key (host-checked); the approver's identity key in x-stagecraft-key. */
  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    key: string,
    body?: unknown,
  ): Promise<{ status: number; json: T }> {
    const keyHeader = key === this.keys.function ? 'x-functions-key' : 'x-stagecraft-key';
    const r = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        accept: 'application/json',
        [keyHeader]: key,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await r.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = text;
    }
    if (!r.ok) throw new Error(`${method} ${path}: HTTP ${r.status} ${text.slice(0, 500)}`);
    return { status: r.status, json: json as T };
  }

  async approvals(model: string, status?: string): Promise<Approval[]> {
    const q = new URLSearchParams({ model, ...(status ? { status } : {}) });
    return (await this.call<{ approvals: Approval[] }>('GET', `/api/approvals?${q.toString()}`, this.keys.approver))
      .json.approvals;
  }

  async approval(id: string): Promise<Approval> {
    return (
      await this.call<{ approval: Approval }>('GET', `/api/approvals/${encodeURIComponent(id)}`, this.keys.approver)
    ).json.approval;
  }

  async decide(id: string, decision: 'approve' | 'reject', comment: string): Promise<void> {
    await this.call('POST', `/api/approvals/${encodeURIComponent(id)}/decision`, this.keys.approver, {
      decision,
      comment,
    });
  }

  async rollback(model: string, toVersion: string, reason: string, requestId: string): Promise<{ instanceId: string }> {
    return (
      await this.call<{ instanceId: string }>(
        'POST',
        `/api/models/${encodeURIComponent(model)}/rollback`,
        this.keys.approver,
        { toVersion, reason, requestId },
      )
    ).json;
  }

  async runs(query: Record<string, string>): Promise<RunSummary[]> {
    return (
      await this.call<{ runs: RunSummary[] }>(
        'GET',
        `/api/runs?${new URLSearchParams(query).toString()}`,
        this.keys.function,
      )
    ).json.runs;
  }

  async run(id: string): Promise<RunDetail> {
    return (await this.call<RunDetail>('GET', `/api/runs/${encodeURIComponent(id)}`, this.keys.function)).json;
  }

  promotionRecord(model: string, instanceId: string): Promise<PromotionRecord | undefined> {
    return getPromotionRecord(model, instanceId, this.storageEnv());
  }

  /** One row per check of a promotion, written as each check ends. */
  validations(instanceId: string): ReturnType<typeof listValidations> {
    return listValidations(instanceId, this.storageEnv());
  }

  aliasHistory(model: string): Promise<AliasHistoryRow[]> {
    return aliasHistoryFromEnv(this.storageEnv()).list(model);
  }

  rollbackRecord(model: string, instanceId: string): Promise<RollbackRecord | undefined> {
    return getRollbackRecord(model, instanceId, this.storageEnv());
  }
}

/** One-click links (the same kind approval notifications carry), signed with the host's link secret. */
export function decisionLinks(
  a: Approval,
  approver: string,
  baseUrl: string,
  linkSecret: string,
): { approve: string; reject: string } {
  const [links] = approvalLinks({
    approvalId: a.id,
    approvers: [approver],
    baseUrl,
    secret: linkSecret,
    nowMs: Date.now(),
    ttlMs: 24 * 3600_000,
    ...(a.deadlineAt ? { deadlineMs: Date.parse(a.deadlineAt) } : {}),
  });
  if (!links) throw new Error(`no approval link for ${approver}`);
  return { approve: links.approve, reject: links.reject };
}
