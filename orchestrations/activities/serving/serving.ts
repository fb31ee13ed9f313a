/** Activities of a serving rollout: read the endpoint, apply a config, run an A/B gate query. All I/O is here. */
import type { InvocationContext } from '@azure/functions';
import { appendAudit } from '../../../shared/audit';
import { ConflictError } from '../../../shared/errors';
import { abDecision, abStatement, metricsByVersion } from '../../../shared/serving/ab';
import { servingBackend, sqlClientFromEnv, warehouseId } from '../../../shared/serving/backend';
import { stateOf } from '../../../shared/serving/config';
import {
  type ServingAbTestInput,
  type ServingApplyInput,
  type ServingReadInput,
  type ServingState,
} from '../../../shared/serving/types';
import type { CheckEvaluation } from '../../../shared/promotion/checks';
import '../../../shared/serving/local';
import { ServingActivities } from '../../contracts/serving';
import { registerActivity } from '../register';

registerActivity(ServingActivities.read, {
  handler: async (input: ServingReadInput): Promise<ServingState> =>
    stateOf(await servingBackend(input.runner).get(input.endpoint)),
});

registerActivity(ServingActivities.apply, {
  handler: async (input: ServingApplyInput, context: InvocationContext): Promise<ServingState> => {
    const backend = servingBackend(input.runner);
    let ep;
    if (input.create) {
      try {
        ep = await backend.create(input.endpoint, input.config);
      } catch (e) {
        // A retried create after an ambiguous failure: the endpoint exists now; set its config instead.
        if (!(e instanceof ConflictError)) throw e;
        ep = await backend.updateConfig(input.endpoint, input.config);
      }
    } else {
      ep = await backend.updateConfig(input.endpoint, input.config);
    }
    // Endpoint config changes are audited (who: Stagecraft on behalf of the promotion/rollback); best effort.
    await appendAudit({
      action: 'serving.config',
      actor: 'stagecraft',
      target: input.endpoint,
      outcome: 'accepted',
      details: {
        runner: input.runner,
        create: input.create,
        entities: input.config.served_entities.map((e) => `${e.entity_name}@${e.entity_version}`),
        routes: input.config.traffic_config.routes,
      },
    }).catch((e: unknown) => context.warn('audit write failed', { error: e instanceof Error ? e.message : String(e) }));
    context.info('serving config applied', {
      endpoint: input.endpoint,
      runner: input.runner,
      entities: input.config.served_entities.map((e) => `${e.entity_name}@${e.entity_version}`),
      routes: input.config.traffic_config.routes,
    });
    return stateOf(ep);
  },
});

registerActivity(ServingActivities.abTest, {
  handler: async (input: ServingAbTestInput, context: InvocationContext): Promise<CheckEvaluation> => {
    const { statement, parameters } = abStatement(
      input.check,
      input.endpoint,
      input.championVersion,
      input.challengerVersion,
      input.since,
    );
    const result = await sqlClientFromEnv().execute({
      warehouseId: warehouseId(input.check.warehouseId),
      statement,
      parameters,
    });
    const evaluation = abDecision(
      input.check,
      input.championVersion,
      input.challengerVersion,
      metricsByVersion(result),
    );
    context.info('ab-test evaluated', { endpoint: input.endpoint, check: input.id, status: evaluation.status });
    return evaluation;
  },
});
