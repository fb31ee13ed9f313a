import { azureDevOpsSource } from './azure-devops';
import { azureMonitorSource } from './azure-monitor';
import { azureMlSource } from './azureml';
import { databricksAlertsSource } from './databricks-alerts';
import { cloudEventsSource } from './cloudevents';
import { databricksSource } from './databricks';
import { databricksJobsSource } from './databricks-jobs';
import { databricksUcSource } from './databricks-uc';
import { driftSource } from './drift';
import { githubSource } from './github';
import { mlflowSource } from './mlflow';
import type { IntakeSource, SourceName } from './types';

export * from './types';
export { parseAzureDevOpsEvent } from './azure-devops';
export { branchMatches, classifyBranch } from './util';

export const SOURCES: Readonly<Record<SourceName, IntakeSource>> = {
  mlflow: mlflowSource,
  databricks: databricksSource,
  github: githubSource,
  'azure-devops': azureDevOpsSource,
  'azure-monitor': azureMonitorSource,
  drift: driftSource,
  cloudevents: cloudEventsSource,
  'databricks-jobs': databricksJobsSource,
  'databricks-uc': databricksUcSource,
  'databricks-alerts': databricksAlertsSource,
  azureml: azureMlSource,
};

export function isSourceName(value: string): value is SourceName {
  return Object.prototype.hasOwnProperty.call(SOURCES, value);
}
