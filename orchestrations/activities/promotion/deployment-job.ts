/** Activity: write the MLflow 3 deployment job's approval tag on a Unity Catalog version (shared/registry/deployment-job). */
import type { InvocationContext } from '@azure/functions';
import {
  setDeploymentJobTag,
  type DeploymentJobTagInput,
  type DeploymentJobTagResult,
} from '../../../shared/registry/deployment-job';
import { registryForModel } from '../../../shared/registry/from-env';
import { PromotionActivities } from '../../contracts/promotion';
import { registerActivity } from '../register';

registerActivity(PromotionActivities.deploymentJobTag, {
  handler: async (input: DeploymentJobTagInput, context: InvocationContext): Promise<DeploymentJobTagResult> => {
    const out = await setDeploymentJobTag(await registryForModel(input.model), input);
    if (out.set)
      context.info('deployment job approval tag set', {
        model: input.model,
        version: input.version,
        tag: input.tag,
        value: input.value,
      });
    else
      context.warn('deployment job approval tag not set', {
        model: input.model,
        version: input.version,
        tag: input.tag,
        error: out.error,
      });
    return out;
  },
});
