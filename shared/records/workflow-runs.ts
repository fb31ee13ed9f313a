/**
 * Workflow runs: one record per orchestration instance, keyed by workflow name + instance id (which is itself
 * derived from the business key, so a run record is naturally idempotent).
 */
import { z } from 'zod';
import type { TableClient } from '@azure/data-tables';
import type { BlobStore } from './blobs';
import { RecordTable } from './record-table';

export const WorkflowRunRecord = z.object({
  workflow: z.string().min(1),
  instanceId: z.string().min(1),
  businessKey: z.string().min(1),
  status: z.enum(['pending', 'running', 'completed', 'failed', 'terminated']),
  triggerEventId: z.string().min(1),
  triggerEventType: z.string().min(1),
  startedAt: z.string().min(1),
  updatedAt: z.string().min(1),
  completedAt: z.string().optional(),
  /** Small JSON output or summary; large values are moved to blobs automatically. */
  output: z.unknown().optional(),
  error: z.string().optional(),
  duplicateEventIds: z.array(z.string()).optional(),
});
export type WorkflowRunRecord = z.output<typeof WorkflowRunRecord>;

export class WorkflowRunsTable extends RecordTable<WorkflowRunRecord> {
  constructor(tableClient: (name: string) => TableClient, prefix: string, overflow?: BlobStore) {
    super({
      client: tableClient(`${prefix}WorkflowRuns`),
      schema: WorkflowRunRecord,
      partitionKey: (r) => r.workflow,
      rowKey: (r) => r.instanceId,
      ...(overflow ? { overflow: { blobs: overflow, prefix: 'overflow' } } : {}),
    });
  }
}
