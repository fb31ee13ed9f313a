/**
 * The console's JSON API: query schemas (zod, parsed by the route layer) and the answer types the browser code
 * imports (type-only, so the UI bundle carries no zod). One file so server and UI cannot drift apart.
 */
import { z } from 'zod';
import type { RunLink, RunSummary, TimelineEntry } from '../runs/query';

const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'must be an ISO 8601 time' });

export const RunsViewQuery = z.strictObject({
  workflow: z.string().min(1).max(100).optional(),
  model: z.string().min(1).max(256).optional(),
  status: z
    .string()
    .regex(/^[A-Za-z,]+$/, { message: 'must be runtime statuses such as Running,Completed,Failed' })
    .optional(),
  from: isoTime.optional(),
  to: isoTime.optional(),
  q: z.string().max(200).optional(),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type RunsViewQuery = z.output<typeof RunsViewQuery>;

export interface StatusBucket {
  start: string;
  counts: Record<string, number>;
}

export interface RunsView {
  runs: RunSummary[];
  total: number;
  offset: number;
  limit: number;
  /** Counts of the filtered runs by status, overall and per time bucket (oldest first). */
  byStatus: Record<string, number>;
  buckets: StatusBucket[];
  bucketMs: number;
  workflows: string[];
}

export interface RunHint {
  level: 'info' | 'warn' | 'error';
  text: string;
}

export interface ConsoleLink {
  rel: string;
  label: string;
  /** Console route (`#/runs/<id>`, `#/approvals`, `#/models/<name>`) */
  href: string;
}

export interface RunDetailView {
  run: RunSummary;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  timeline: Array<TimelineEntry & { durationMs?: number }>;
  links: ConsoleLink[];
  rawLinks: RunLink[];
  error?: string;
  hints: RunHint[];
  actions: RunAction[];
}

export const RUN_ACTIONS = ['terminate', 'suspend', 'resume', 'restart', 'purge'] as const;
export type RunAction = (typeof RUN_ACTIONS)[number];

export const RunActionBody = z.strictObject({
  action: z.enum(RUN_ACTIONS, { error: `must be one of ${RUN_ACTIONS.join(', ')}` }),
  reason: z.string().trim().min(1, { error: 'say why (it is recorded in the audit log)' }).max(500),
});
export type RunActionBody = z.output<typeof RunActionBody>;

export interface RunActionResult {
  action: RunAction;
  id: string;
  /** For restart: the new run. */
  newRunId?: string;
  message: string;
}

export interface Me {
  id: string;
  displayName: string;
  roles: string[];
  groups: string[];
  via: string;
}

export const InboxQuery = z.strictObject({
  status: z.enum(['pending', 'approved', 'rejected', 'expired', 'cancelled', 'all']).default('pending'),
  model: z.string().min(1).max(256).optional(),
});

export interface ComparisonRow {
  metric: string;
  challenger?: number;
  champion?: number;
  delta?: number;
  relativeDelta?: number;
  status: string;
  message: string;
}

export interface ValidationView {
  id: string;
  type: string;
  severity: string;
  status: string;
  message: string;
  thresholds: Array<{ metric: string; status: string; value?: number; min?: number; max?: number; message: string }>;
  champion?: { championVersion?: string; passed: boolean; hasChampion: boolean; note?: string; rows: ComparisonRow[] };
}

export interface InboxItem {
  id: string;
  model: string;
  version: string;
  status: string;
  reason?: string;
  summary?: string;
  author?: string;
  triggeredBy?: string;
  createdAt: string;
  deadlineAt?: string;
  closedAt?: string;
  approvals: number;
  minApprovals: number;
  approvers: { users: string[]; groups: string[] };
  votes: Array<{ approver: string; verdict: string; at: string; comment?: string }>;
  instanceId: string;
  validations: ValidationView[];
  /** Whether the signed-in person may vote now; when not, why (read-only view). */
  canVote: boolean;
  whyNot?: string;
}

export interface InboxView {
  items: InboxItem[];
}

export interface ReceiptView {
  receiptId: string;
  source: string;
  receivedAt: string;
  outcome: string;
  httpStatus: number;
  code?: string;
  reason?: string;
  eventTypes: string[];
  deliveryId?: string;
}

export interface DeadLetterView {
  subscription: string;
  sequenceNumber: string;
  messageId?: string;
  subject?: string;
  enqueuedAt?: string;
  reason?: string;
  description?: string;
  deliveryCount?: number;
  bodyPreview: string;
}

export interface EventsView {
  receipts: ReceiptView[];
  deadLetters: DeadLetterView[];
  /** Set when dead letters could not be read (e.g. no Service Bus connection). */
  deadLetterError?: string;
}

export const EventsQuery = z.strictObject({
  outcome: z.enum(['accepted', 'ignored', 'duplicate', 'rejected', 'failed']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const DeadLetterParams = z.object({
  subscription: z.string().regex(/^[A-Za-z0-9._-]{1,50}$/, { error: 'must be a subscription name' }),
  seq: z.string().regex(/^\d{1,20}$/, { error: 'must be a sequence number' }),
});

export const ResubmitBody = z.strictObject({ reason: z.string().trim().max(500).optional() });

export interface ResubmitResult {
  subscription: string;
  sequenceNumber: string;
  newMessageId: string;
  message: string;
}

export interface ModelSummary {
  name: string;
  aliases: Record<string, string | null>;
  lastOutcome?: string;
  lastVersion?: string;
  lastAt?: string;
}

export interface ModelVersionView {
  version: string;
  aliases: string[];
  validation?: string;
  outcome?: string;
  reason?: string;
  instanceId: string;
  at: string;
}

export interface AliasEvent {
  alias: string;
  before: string | null;
  after: string | null;
  at: string;
  runId: string;
}

export interface ModelDetailView {
  name: string;
  aliases: Record<string, string | null>;
  versions: ModelVersionView[];
  aliasHistory: AliasEvent[];
}

export interface ModelsView {
  models: ModelSummary[];
}

export interface RetrainingView {
  coordinators: Array<{
    id: string;
    model?: string;
    status: string;
    lastUpdatedTime: string;
    cooldownUntil?: string;
    runningRun?: string;
    decisions: Array<{ at?: string; decision: string; reason?: string; trigger?: string }>;
    customStatus: unknown;
  }>;
  runs: RunSummary[];
}
