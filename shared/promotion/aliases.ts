/**
 * Registry moves of a promotion, each recorded in the alias history (`<prefix>AliasHistory`, PartitionKey = model,
 * RowKey = `<time>|<alias>|<instance>`). Aliases mode: `challenger` then `champion` (+ challenger removed);
 * stages mode: Staging then Production (archiving the previous Production version when the policy says so).
 *
 * Invariants:
 * - Every move is idempotent (set-to-value): a retried activity converges to the same registry state, and the
 *   history row of a retry has the same key (instance + alias + step), so it is written once.
 * - The previous champion is read BEFORE the move and returned, so rollback can find it in the history.
 */
import { z } from 'zod';
import type { ModelRegistry } from '../registry/port';
import { RecordTable } from '../records';
import type { Promotion } from '../policy';
import { storageFromEnv, type Env } from '../approvals/storage';
import type { AliasChange } from './types';

export const AliasHistoryRow = z.object({
  model: z.string(),
  alias: z.string(),
  before: z.string().nullable(),
  after: z.string().nullable(),
  at: z.string(),
  actor: z.string(),
  reason: z.string(),
  instanceId: z.string(),
  /** Distinguishes the moves of one instance (e.g. 'challenger', 'champion', 'rollback'). */
  step: z.string(),
});
export type AliasHistoryRow = z.output<typeof AliasHistoryRow>;

export interface AliasHistory {
  append(row: AliasHistoryRow): Promise<void>;
  list(model: string): Promise<AliasHistoryRow[]>;
}

const tables = new WeakMap<object, RecordTable<AliasHistoryRow>>();

export function aliasHistoryFromEnv(env: Env = process.env): AliasHistory {
  const storage = storageFromEnv(env);
  let t = tables.get(storage);
  if (!t) {
    // Row key = instance + step + alias: a retried activity rewrites its own row instead of adding one.
    t = new RecordTable({
      client: storage.table('AliasHistory'),
      schema: AliasHistoryRow,
      partitionKey: (r) => r.model,
      rowKey: (r) => `${r.instanceId}|${r.step}|${r.alias}`,
    });
    tables.set(storage, t);
  }
  const table = t;
  return {
    async append(row) {
      await table.insert(row);
    },
    async list(model) {
      const rows = await table.listPartition(model, 5000);
      return rows.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    },
  };
}

export interface MoveContext {
  client: ModelRegistry;
  history: AliasHistory;
  instanceId: string;
  actor: string;
  reason: string;
  now: () => number;
}

export function roleNames(p: Promotion): { champion: string; challenger: string } {
  return p.mode === 'stages'
    ? { champion: 'Production', challenger: 'Staging' }
    : { champion: p.championAlias, challenger: p.challengerAlias };
}

/** Current holders of the champion and challenger roles. */
export async function currentRoles(
  client: ModelRegistry,
  model: string,
  p: Promotion,
): Promise<Record<string, string | null>> {
  const names = roleNames(p);
  if (p.mode === 'stages') {
    const latest = await client.getLatestVersions(model, ['Production', 'Staging']);
    const of = (stage: string) =>
      latest.filter((v) => v.current_stage === stage).sort((a, b) => Number(b.version) - Number(a.version))[0]
        ?.version ?? null;
    return { [names.champion]: of('Production'), [names.challenger]: of('Staging') };
  }
  const rm = await client.getRegisteredModel(model);
  const of = (alias: string) => rm.aliases.find((a) => a.alias === alias)?.version ?? null;
  return { [names.champion]: of(names.champion), [names.challenger]: of(names.challenger) };
}

async function record(
  ctx: MoveContext,
  model: string,
  alias: string,
  before: string | null,
  after: string | null,
  step: string,
): Promise<AliasChange> {
  const at = new Date(ctx.now()).toISOString();
  await ctx.history.append({
    model,
    alias,
    before,
    after,
    at,
    actor: ctx.actor,
    reason: ctx.reason,
    instanceId: ctx.instanceId,
    step,
  });
  return { alias, before, after, at };
}

/** Step 3: the version becomes challenger (or Staging). */
export async function setChallenger(
  ctx: MoveContext,
  model: string,
  version: string,
  p: Promotion,
): Promise<{
  changes: AliasChange[];
  aliasBefore: Record<string, string | null>;
  aliasAfter: Record<string, string | null>;
  previousChampion: string | null;
}> {
  const names = roleNames(p);
  const before = await currentRoles(ctx.client, model, p);
  const changes: AliasChange[] = [];
  if (before[names.challenger] !== version) {
    if (p.mode === 'stages') await ctx.client.transitionStage(model, version, 'Staging', false);
    else await ctx.client.setAlias(model, names.challenger, version);
    changes.push(await record(ctx, model, names.challenger, before[names.challenger] ?? null, version, 'challenger'));
  }
  return {
    changes,
    aliasBefore: before,
    aliasAfter: { ...before, [names.challenger]: version },
    previousChampion: before[names.champion] ?? null,
  };
}

/** Step 5: the version becomes champion (or Production); the challenger role is cleared. */
export async function promote(
  ctx: MoveContext,
  model: string,
  version: string,
  p: Promotion,
): Promise<{
  changes: AliasChange[];
  aliasBefore: Record<string, string | null>;
  aliasAfter: Record<string, string | null>;
  previousChampion: string | null;
}> {
  const names = roleNames(p);
  const before = await currentRoles(ctx.client, model, p);
  const previous = before[names.champion] ?? null;
  const changes: AliasChange[] = [];
  if (p.mode === 'stages') {
    if (previous !== version) {
      await ctx.client.transitionStage(model, version, 'Production', p.archivePrevious);
      changes.push(await record(ctx, model, names.champion, previous, version, 'champion'));
      if (previous !== null && p.archivePrevious)
        changes.push(await record(ctx, model, 'Archived', null, previous, 'archive'));
    }
    // Moving the version to Production took it out of Staging.
    if (before[names.challenger] === version)
      changes.push(await record(ctx, model, names.challenger, version, null, 'challenger-cleared'));
  } else {
    if (previous !== version) {
      await ctx.client.setAlias(model, names.champion, version);
      changes.push(await record(ctx, model, names.champion, previous, version, 'champion'));
    }
    if (before[names.challenger] === version) {
      await ctx.client.deleteAlias(model, names.challenger);
      changes.push(await record(ctx, model, names.challenger, version, null, 'challenger-cleared'));
    }
  }
  const after = {
    ...before,
    [names.champion]: version,
    [names.challenger]: before[names.challenger] === version ? null : (before[names.challenger] ?? null),
  };
  return { changes, aliasBefore: before, aliasAfter: after, previousChampion: previous === version ? null : previous };
}

/**
 * The version to roll back to: the champion before the current one, per the alias history (the latest champion
 * move whose `after` is the current champion), or undefined when the history does not know one.
 */
export function previousChampionFromHistory(
  rows: readonly AliasHistoryRow[],
  championAlias: string,
  current: string | null,
): string | undefined {
  const moves = rows.filter((r) => r.alias === championAlias && r.after !== null && r.after !== r.before);
  for (let i = moves.length - 1; i >= 0; i--) {
    const m = moves[i]!;
    if (m.after === current && m.before !== null) return m.before;
  }
  return undefined;
}

/** Rollback: the champion role moves to `version`, recorded with who and why. */
export async function moveChampion(
  ctx: MoveContext,
  model: string,
  version: string,
  p: Promotion,
): Promise<{ changes: AliasChange[]; previousChampion: string | null }> {
  const names = roleNames(p);
  const before = await currentRoles(ctx.client, model, p);
  const previous = before[names.champion] ?? null;
  if (previous === version) return { changes: [], previousChampion: previous };
  if (p.mode === 'stages') await ctx.client.transitionStage(model, version, 'Production', p.archivePrevious);
  else await ctx.client.setAlias(model, names.champion, version);
  return {
    changes: [await record(ctx, model, names.champion, previous, version, 'rollback')],
    previousChampion: previous,
  };
}
