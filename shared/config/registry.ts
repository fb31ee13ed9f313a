/**
 * The one reader of the registries' addresses and credentials:
 * - `mlflow`: MLFLOW_TRACKING_URI, MLFLOW_TRACKING_TOKEN (bearer) or MLFLOW_TRACKING_USERNAME/PASSWORD (basic);
 * - `databricks`: DATABRICKS_HOST, DATABRICKS_TOKEN (a PAT), else a Microsoft Entra token from the managed identity
 *   (AZURE_CLIENT_ID names a user-assigned one), and DATABRICKS_WAREHOUSE_ID.
 * Both are optional for the app as a whole (a policy without Databricks needs no Databricks settings); the feature
 * that needs one asks with `requireMlflow` / `requireDatabricks`, which name the setting. Clients are built from
 * these by the composition root (shared/services.ts).
 */
import { z } from 'zod';
import { ConfigError } from '../errors';
import type { Env } from './env';
import { defineSection, loadSection } from './section';
import { optionalText } from '../setting-values';

export interface MlflowSettings {
  trackingUri: string | undefined;
  token: string | undefined;
  username: string | undefined;
  password: string;
}

export const mlflowSection = defineSection(
  'mlflow',
  {
    MLFLOW_TRACKING_URI: optionalText.pipe(
      z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://127.0.0.1:5000' }).optional(),
    ),
    MLFLOW_TRACKING_TOKEN: optionalText,
    MLFLOW_TRACKING_USERNAME: optionalText,
    // Passwords are taken as written (spaces may be part of one).
    MLFLOW_TRACKING_PASSWORD: z
      .string()
      .optional()
      .transform((v) => v ?? ''),
  },
  (v): MlflowSettings => ({
    trackingUri: v.MLFLOW_TRACKING_URI,
    token: v.MLFLOW_TRACKING_TOKEN,
    username: v.MLFLOW_TRACKING_USERNAME,
    password: v.MLFLOW_TRACKING_PASSWORD,
  }),
);

export interface DatabricksSettings {
  /** Workspace base URL (`https://` added to a bare host), undefined when Databricks is not configured. */
  baseUrl: string | undefined;
  token: string | undefined;
  clientId: string | undefined;
  warehouseId: string | undefined;
}

export function databricksBaseUrl(host: string): string {
  return /^https?:\/\//i.test(host) ? host : `https://${host}`;
}

export const databricksSection = defineSection(
  'databricks',
  {
    DATABRICKS_HOST: optionalText,
    DATABRICKS_TOKEN: optionalText,
    AZURE_CLIENT_ID: optionalText,
    DATABRICKS_WAREHOUSE_ID: optionalText,
  },
  (v): DatabricksSettings => ({
    baseUrl: v.DATABRICKS_HOST === undefined ? undefined : databricksBaseUrl(v.DATABRICKS_HOST),
    token: v.DATABRICKS_TOKEN,
    clientId: v.AZURE_CLIENT_ID,
    warehouseId: v.DATABRICKS_WAREHOUSE_ID,
  }),
);

export function mlflowSettings(env: Env = process.env): MlflowSettings {
  return loadSection(mlflowSection, env);
}

export function databricksSettings(env: Env = process.env): DatabricksSettings {
  return loadSection(databricksSection, env);
}

/** The MLflow settings with the tracking URI a feature needs; `why` says which feature (in the error). */
export function requireMlflow(env: Env = process.env, why = 'promotions'): MlflowSettings & { trackingUri: string } {
  const s = mlflowSettings(env);
  if (s.trackingUri === undefined)
    throw new ConfigError(`MLFLOW_TRACKING_URI must be set to the MLflow server URL (http(s)://host:port) for ${why}`, {
      setting: 'MLFLOW_TRACKING_URI',
    });
  return s as MlflowSettings & { trackingUri: string };
}

/** The Databricks settings with the workspace a feature needs; `message` is the error naming DATABRICKS_HOST. */
export function requireDatabricks(env: Env, message: string): DatabricksSettings & { baseUrl: string } {
  const s = databricksSettings(env);
  if (s.baseUrl === undefined) throw new ConfigError(message, { setting: 'DATABRICKS_HOST' });
  return s as DatabricksSettings & { baseUrl: string };
}
