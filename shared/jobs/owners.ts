/**
 * Which orchestration instance owns a job run, so the router can raise a job-finished event into it
 * (`findJobRunOwner(runId)`). Written by the `jobStart` activity as soon as the run exists; keyed by the provider's
 * run id. Table `<prefix>JobRuns`, PartitionKey = run id, RowKey = 'owner'.
 */
import { z } from 'zod';
import { RecordTable } from '../records';
import { storageFromEnv, type Env } from '../approvals/storage';

export const JobRunOwnerSchema = z.object({
  runId: z.string().min(1),
  instanceId: z.string().min(1),
  label: z.string(),
  runner: z.string(),
  startedAt: z.string(),
});
export type JobRunOwner = z.output<typeof JobRunOwnerSchema>;

const tables = new WeakMap<object, RecordTable<JobRunOwner>>();

function table(env: Env): RecordTable<JobRunOwner> {
  const storage = storageFromEnv(env);
  let t = tables.get(storage);
  if (!t) {
    t = new RecordTable({
      client: storage.table('JobRuns'),
      schema: JobRunOwnerSchema,
      partitionKey: (o) => o.runId,
      rowKey: () => 'owner',
    });
    tables.set(storage, t);
  }
  return t;
}

export async function recordJobRunOwner(owner: JobRunOwner, env: Env = process.env): Promise<void> {
  await table(env).upsert(owner);
}

export async function findJobRunOwner(runId: string, env: Env = process.env): Promise<JobRunOwner | undefined> {
  return table(env).get(runId, 'owner');
}
