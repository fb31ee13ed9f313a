import { ValidationError } from '../../errors';
import type { JobSpec } from '../../policy/job-spec';
import type { JobRunner, JobStatus, RunRef } from './port';

/** Routes each spec to the runner for its `runner` kind; a kind without a runner is a configuration error. */
export class CompositeJobRunner implements JobRunner {
  constructor(private readonly runners: Partial<Record<RunRef['runner'], JobRunner>>) {}

  private pick(kind: RunRef['runner']): JobRunner {
    const r = this.runners[kind];
    if (!r)
      throw new ValidationError(
        'JOB_RUNNER_UNAVAILABLE',
        `no '${kind}' job runner is configured here (embedded mode runs only local jobs; set the Databricks settings for Databricks jobs)`,
      );
    return r;
  }

  async start(spec: JobSpec, key: string, signal?: AbortSignal): Promise<RunRef> {
    return this.pick(spec.runner).start(spec, key, signal);
  }
  async get(ref: RunRef, signal?: AbortSignal): Promise<JobStatus> {
    return this.pick(ref.runner).get(ref, signal);
  }
  async cancel(ref: RunRef, signal?: AbortSignal): Promise<void> {
    return this.pick(ref.runner).cancel(ref, signal);
  }
}
