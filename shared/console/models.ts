/**
 * The Models view: registered models with their aliases (from the registry), and per model its versions with
 * aliases, validation status and promotion outcome (promotion records), and the alias history (every move the
 * promotion and rollback workflows made). The registry must answer (its errors reach the view as the API's error).
 */
import type { MlflowClient } from '../adapters/mlflow';
import type { AliasHistory } from '../promotion/aliases';
import type { PromotionRecord } from '../promotion/types';
import type { ModelDetailView, ModelSummary, ModelVersionView } from './schemas';

export async function modelsView(
  mlflow: MlflowClient,
  lastRecord: (model: string) => Promise<PromotionRecord | undefined>,
): Promise<ModelSummary[]> {
  const { models } = await mlflow.searchRegisteredModels({ maxResults: 200 });
  return Promise.all(
    models.map(async (m) => {
      const last = await lastRecord(m.name).catch(() => undefined);
      return {
        name: m.name,
        aliases: Object.fromEntries(m.aliases.map((a) => [a.alias, a.version])),
        ...(last ? { lastOutcome: last.outcome, lastVersion: last.version, lastAt: last.finishedAt } : {}),
      };
    }),
  );
}

export async function modelDetailView(
  name: string,
  mlflow: MlflowClient,
  records: PromotionRecord[],
  history: AliasHistory,
): Promise<ModelDetailView> {
  const model = await mlflow.getRegisteredModel(name);
  const aliases: Record<string, string | null> = Object.fromEntries(model.aliases.map((a) => [a.alias, a.version]));
  const { versions } = await mlflow.searchModelVersions({
    filter: `name='${name.replace(/'/g, "''")}'`,
    maxResults: 200,
  });
  const newest = new Map<string, PromotionRecord>();
  for (const r of [...records].sort((a, b) => (a.startedAt < b.startedAt ? -1 : 1))) newest.set(r.version, r);
  const rows: ModelVersionView[] = versions
    .sort((a, b) => Number(b.version) - Number(a.version))
    .map((v) => {
      const r = newest.get(v.version);
      return {
        version: v.version,
        aliases: model.aliases.filter((a) => a.version === v.version).map((a) => a.alias),
        instanceId: r?.instanceId ?? '',
        at: r?.finishedAt ?? '',
        ...(r?.verdict
          ? {
              validation:
                r.verdict.gate === 'open'
                  ? `passed (${r.verdict.passed.length} checks)`
                  : `blocked: ${r.verdict.blockingFailures.join(', ')}`,
            }
          : {}),
        ...(r ? { outcome: r.outcome, reason: r.reason } : {}),
      };
    });
  const aliasHistory = (await history.list(name))
    .map((h) => ({ alias: h.alias, before: h.before, after: h.after, at: h.at, runId: h.instanceId }))
    .reverse();
  return { name, aliases, versions: rows, aliasHistory };
}
