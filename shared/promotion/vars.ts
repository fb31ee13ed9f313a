/** `{{placeholders}}` available to job parameters of promotion checks and deployments. Pure. */
import type { TriggerInfo, VersionInfo } from './types';

export function templateVars(model: VersionInfo, trigger: TriggerInfo, instanceId: string): Record<string, string> {
  return {
    'model.name': model.name,
    'model.version': model.version,
    'model.runId': model.runId ?? '',
    'model.source': model.source ?? '',
    'model.gitCommit': model.gitCommit ?? '',
    'run.id': model.runId ?? '',
    commit: model.gitCommit ?? '',
    'trigger.kind': trigger.kind,
    'trigger.id': trigger.eventId,
    'instance.id': instanceId,
  };
}
