/**
 * MLflow 3 deployment jobs (Unity Catalog): the job's approval task fails unless the model version has a tag whose
 * key is the task's name and whose value is `approved` (case-insensitive); Databricks' "Approve" button sets that
 * tag and repairs the run. With `approval.deploymentJobTag: <task name>` Stagecraft is that approval step: its
 * decision writes the tag (`approved`, or `rejected` for a rejection or an expired request), and the promotion
 * record says what was written. A cancelled promotion decided nothing and writes nothing.
 *
 * Invariant: the write is set-to-value (idempotent), so a retried activity converges; a failed write is recorded,
 * never thrown past the promotion (the decision itself stands in Stagecraft's records).
 */
import type { ModelRegistry } from './port';

export type DeploymentJobTagValue = 'approved' | 'rejected';

export interface DeploymentJobTagInput {
  model: string;
  version: string;
  tag: string;
  value: DeploymentJobTagValue;
}

export interface DeploymentJobTagResult {
  tag: string;
  value: DeploymentJobTagValue;
  set: boolean;
  at: string;
  error?: string;
}

/** The tag value for an approval outcome, or undefined when nothing was decided. */
export function deploymentJobTagValue(status: string): DeploymentJobTagValue | undefined {
  if (status === 'approved') return 'approved';
  if (status === 'rejected' || status === 'expired') return 'rejected';
  return undefined;
}

export async function setDeploymentJobTag(
  registry: ModelRegistry,
  input: DeploymentJobTagInput,
  now: () => number = Date.now,
): Promise<DeploymentJobTagResult> {
  try {
    await registry.setModelVersionTag(input.model, input.version, input.tag, input.value);
    return { tag: input.tag, value: input.value, set: true, at: new Date(now()).toISOString() };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return {
      tag: input.tag,
      value: input.value,
      set: false,
      at: new Date(now()).toISOString(),
      error: msg.slice(0, 300),
    };
  }
}
