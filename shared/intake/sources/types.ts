/**
 * One parser/normalizer per source behind one interface. A source names its verifier (from config), how to find the
 * delivery id, and how to turn a parsed JSON body into Stagecraft CloudEvents, an `ignored` answer, or a
 * ValidationError naming the fields at fault (zod issue paths).
 */
import type { StagecraftConfig } from '../../config';
import type { ValidationError } from '../../errors';
import type { AnyStagecraftEvent } from '../../events';
import type { BodyOptions } from '../body';
import type { DeliveryRequest } from '../request';
import type { Verifier } from '../verifiers';

export type SourceName =
  | 'mlflow'
  | 'databricks'
  | 'github'
  | 'azure-devops'
  | 'azure-monitor'
  | 'drift'
  | 'cloudevents'
  | 'databricks-jobs'
  | 'databricks-uc'
  | 'databricks-alerts'
  | 'azureml';

export type ParseOutcome =
  | { kind: 'events'; events: AnyStagecraftEvent[] }
  | { kind: 'ignored'; reason: string }
  | { kind: 'invalid'; error: ValidationError };

export interface ParseContext {
  config: StagecraftConfig;
  request: DeliveryRequest;
  deliveryId: string;
  /** Receive time, RFC 3339. */
  now: string;
}

export interface IntakeSource {
  readonly name: SourceName;
  /** CloudEvents `source` of the events it emits. */
  readonly eventSource: string;
  verifier(config: StagecraftConfig): Verifier;
  /** Body formats besides JSON this source's sender uses (see shared/intake/body.ts). */
  readonly body?: BodyOptions;
  /** The sender's delivery id when it has one (header or body field); the service falls back to the body hash. */
  deliveryId(request: DeliveryRequest, body: unknown): string | undefined;
  parse(body: unknown, ctx: ParseContext): ParseOutcome;
}
