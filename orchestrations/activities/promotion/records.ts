/** Activities: record a validation result, write the report blobs, write the one promotion record. */
import type { InvocationContext } from '@azure/functions';
import type { RecordValidationInput, WriteRecordInput, WriteReportInput } from '../../../shared/promotion/messages';
import { recordValidation, writePromotionRecord, writeReport } from '../../../shared/promotion/records';
import type { ReportLinks } from '../../../shared/promotion/types';
import { linkPromotionFromEnv } from '../../../shared/retraining/link';
import { recordPromotion } from '../../../shared/telemetry/metrics';
import { enqueueSink, sinkItemsOfPromotion } from '../../../shared/sink';
import { PromotionActivities } from '../../contracts/promotion';
import { registerActivity } from '../register';

registerActivity(PromotionActivities.recordValidation, {
  handler: async (input: RecordValidationInput, context: InvocationContext): Promise<void> => {
    await recordValidation(input);
    await enqueueSink(
      [
        {
          kind: 'validation',
          key: `${input.promotionInstanceId}:${input.result.id}`,
          model: input.model,
          version: input.version,
          instanceId: input.promotionInstanceId,
          recordedAt: input.result.finishedAt,
          payload: input.result,
        },
      ],
      process.env,
      (m) => context.warn(m),
    );
  },
});

registerActivity(PromotionActivities.writeReport, {
  handler: async (input: WriteReportInput, context: InvocationContext): Promise<ReportLinks> => {
    const links = await writeReport({
      model: input.model.name,
      version: input.model.version,
      instanceId: input.instanceId,
      generatedAt: new Date().toISOString(),
      dryRun: input.dryRun,
      verdict: input.verdict,
      results: input.results,
      ...(input.model.runId !== undefined ? { runId: input.model.runId } : {}),
      ...(input.model.gitCommit !== undefined ? { gitCommit: input.model.gitCommit } : {}),
    });
    context.info('validation report written', { instanceId: input.instanceId, gate: input.verdict.gate });
    return links;
  },
});

registerActivity(PromotionActivities.writeRecord, {
  handler: async (input: WriteRecordInput, context: InvocationContext): Promise<void> => {
    await writePromotionRecord(input);
    recordPromotion(input.outcome, input.startedAt, input.finishedAt);
    await enqueueSink(sinkItemsOfPromotion(input), process.env, (m) => context.warn(m));
    if (input.retrainingRun !== undefined) {
      await linkPromotionFromEnv(
        {
          retrainingRunId: input.retrainingRun,
          model: input.model,
          version: input.version,
          promotionInstanceId: input.instanceId,
          phase: 'finished',
          at: input.finishedAt,
          outcome: input.outcome,
          reason: input.reason,
        },
        (m, f) => context.warn(m, f),
      );
    }
    context.info('promotion record written', {
      instanceId: input.instanceId,
      model: input.model,
      version: input.version,
      outcome: input.outcome,
    });
  },
});
