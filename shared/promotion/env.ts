/**
 * Settings the promotion activities read:
 * - STAGECRAFT_POLICY_PATH: the policy file (default `stagecraft.policy.yaml` in the working directory);
 * - the MLflow registry: the `mlflow` section (shared/config/registry.ts), client from shared/services.ts.
 */
import { resolve } from 'node:path';
import type { MlflowClient } from '../adapters/mlflow';
import { servicesFor } from '../services';
import type { Env } from '../config/env';

export type { Env } from '../config/env';

export function policyFile(env: Env = process.env): string {
  return resolve(env['STAGECRAFT_POLICY_PATH']?.trim() || 'stagecraft.policy.yaml');
}

/** The MLflow client of these settings (the composition root's, shared/services.ts). */
export function mlflowFromEnv(env: Env = process.env): MlflowClient {
  return servicesFor(env).mlflow();
}
