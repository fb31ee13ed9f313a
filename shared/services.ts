/**
 * The composition root: the one place that builds the app's clients — Tables and Blobs (records, approvals,
 * promotions, jobs, audit), Service Bus (client and publisher), the registries (MLflow, Databricks workspace, Unity
 * Catalog), the job runners and the notifier — from the validated settings sections (shared/config/sections.ts),
 * with identity-based connections where the settings say so.
 *
 * - `services()` is the app's (process.env); `servicesFor(env)` one per env object (tests pass their own).
 * - Every client is built lazily, on first use, and kept per the values of the settings it reads: all activities of
 *   a worker share one connection and one Entra token cache, and a test that changes process.env gets new clients.
 * - A client reads only its own sections: the records need no Service Bus settings, the registry no storage.
 * Triggers and activities take what they need from here instead of building clients themselves.
 */
import type { TableClient } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import type { ServiceBusClient } from '@azure/service-bus';
import { UnityCatalogClient } from './adapters/databricks-uc/client';
import { DatabricksJobsClient } from './adapters/databricks/client';
import { databricksAuth } from './adapters/databricks/from-env';
import { basicAuth, bearerAuth, type AuthProvider } from './adapters/http';
import type { JobRunner } from './adapters/jobs';
import { MlflowClient } from './adapters/mlflow';
import { getServiceBusClient } from './bus/client';
import { getEventPublisher, type ServiceBusEventPublisher } from './bus/publisher';
import { serviceBusSection, storageSection, type ServiceBusConfig, type StorageConfig } from './config/core';
import type { Env } from './config/env';
import { jobsSection } from './config/jobs';
import {
  databricksSection,
  mlflowSection,
  requireDatabricks,
  requireMlflow,
  type DatabricksSettings,
} from './config/registry';
import { fingerprint, loadSection, type Section } from './config/section';
import { createJobRunner } from './jobs/runner';
import { sendApprovalLinks, sendNotice } from './promotion/notify';
import { BlobStore, getRecords, storageClients, type Records, type StorageClients } from './records';
import { mlflowModelRegistry } from './registry/mlflow';
import type { ModelRegistry, RegistryKind } from './registry/port';
import { unityCatalogRegistry } from './registry/unity-catalog';

/** Tables (by suffix after RECORDS_TABLE_PREFIX) and the reports container of the approval, promotion and job records. */
export interface Storage {
  table(suffix: string): TableClient;
  reports: BlobStore;
}

export interface DatabricksClients {
  uc: UnityCatalogClient;
  tracking: MlflowClient;
}

/** Notifications bound to the settings their channels name (webhook URLs, tokens are resolved per send). */
export interface Notifier {
  sendNotice(...a: DropLast<Parameters<typeof sendNotice>>): ReturnType<typeof sendNotice>;
  sendApprovalLinks(...a: DropLast<Parameters<typeof sendApprovalLinks>>): ReturnType<typeof sendApprovalLinks>;
}
type DropLast<T extends unknown[]> = T extends [...infer H, unknown] ? H : never;

export interface Services {
  readonly env: Env;
  /** The validated `storage` section (account, table prefix, reports container). */
  storageConfig(): { storage: StorageConfig; records: { tablePrefix: string; reportsContainer: string } };
  storageClients(): StorageClients;
  storage(): Storage;
  /** Receipts, workflow runs and report blobs (the intake and the router). */
  records(): Records;
  serviceBusConfig(): ServiceBusConfig;
  serviceBus(): ServiceBusClient;
  publisher(): ServiceBusEventPublisher;
  /** The publisher, or undefined when neither Service Bus setting is set (features that may run without it). */
  optionalPublisher(): ServiceBusEventPublisher | undefined;
  /** @throws ConfigError naming MLFLOW_TRACKING_URI when it is unset */
  mlflow(): MlflowClient;
  /** Databricks auth (PAT or the managed identity's Entra token). */
  databricksAuth(): AuthProvider;
  /** @throws ConfigError naming DATABRICKS_HOST when it is unset */
  databricks(): DatabricksClients;
  /** The Jobs client, undefined when DATABRICKS_HOST is unset. */
  databricksJobs(): DatabricksJobsClient | undefined;
  registry(kind: RegistryKind): ModelRegistry;
  jobRunner(): JobRunner;
  notifier(): Notifier;
}

const built = new Map<string, unknown>();

/** The value `build` made for these setting values, built once. */
function once<T>(what: string, sections: readonly Section[], env: Env, build: () => T): T {
  const key = `${what}|${sections.map((s) => fingerprint(s, env)).join('|')}`;
  if (built.has(key)) return built.get(key) as T;
  const v = build();
  built.set(key, v);
  return v;
}

const UC_HOST_MESSAGE =
  'DATABRICKS_HOST must be set to the Azure Databricks workspace URL for models whose policy says registry: unity-catalog or databricks-workspace';

/** Unity Catalog and workspace MLflow clients on one Databricks auth (`credential`: tests, else the managed identity). */
export function buildDatabricksClients(
  s: DatabricksSettings & { baseUrl: string },
  auth: AuthProvider,
): DatabricksClients {
  return {
    uc: new UnityCatalogClient({ baseUrl: s.baseUrl, auth }),
    tracking: new MlflowClient({ baseUrl: s.baseUrl, auth }),
  };
}

function create(env: Env): Services {
  const svc: Services = {
    env,
    storageConfig: () => loadSection(storageSection, env),
    storageClients: () => storageClients(svc.storageConfig().storage),
    storage: () =>
      once('storage', [storageSection], env, () => {
        const { records } = svc.storageConfig();
        const clients = svc.storageClients();
        return {
          table: (suffix: string) => clients.tableClient(`${records.tablePrefix}${suffix}`),
          reports: new BlobStore(clients.blobService, records.reportsContainer),
        };
      }),
    records: () => getRecords(svc.storageConfig()),
    serviceBusConfig: () => loadSection(serviceBusSection, env),
    serviceBus: () => getServiceBusClient(svc.serviceBusConfig()),
    publisher: () => getEventPublisher(svc.serviceBusConfig()),
    optionalPublisher: () =>
      ['ServiceBusConnection', 'ServiceBusConnection__fullyQualifiedNamespace'].some((n) => env[n]?.trim())
        ? svc.publisher()
        : undefined,
    mlflow: () =>
      once('mlflow', [mlflowSection], env, () => {
        const s = requireMlflow(env);
        const auth = s.token ? bearerAuth(s.token) : s.username ? basicAuth(s.username, s.password) : undefined;
        return new MlflowClient({ baseUrl: s.trackingUri, ...(auth ? { auth } : {}) });
      }),
    databricksAuth: () =>
      once('databricksAuth', [databricksSection], env, () => databricksAuth(loadSection(databricksSection, env)).auth),
    databricks: () =>
      once('databricks', [databricksSection], env, () =>
        buildDatabricksClients(requireDatabricks(env, UC_HOST_MESSAGE), svc.databricksAuth()),
      ),
    databricksJobs: () =>
      once('databricksJobs', [databricksSection], env, () => {
        const s = loadSection(databricksSection, env);
        return s.baseUrl === undefined
          ? undefined
          : new DatabricksJobsClient({ baseUrl: s.baseUrl, auth: svc.databricksAuth() });
      }),
    registry: (kind) =>
      kind === 'mlflow'
        ? once('registry:mlflow', [mlflowSection], env, () => mlflowModelRegistry(svc.mlflow(), 'mlflow'))
        : once(`registry:${kind}`, [databricksSection], env, () => {
            const { uc, tracking } = svc.databricks();
            return kind === 'unity-catalog'
              ? unityCatalogRegistry(uc, tracking)
              : mlflowModelRegistry(tracking, 'databricks-workspace');
          }),
    // One per process: the local runner tracks its child processes.
    jobRunner: () =>
      once('jobRunner', [jobsSection, databricksSection], env, () =>
        createJobRunner(env, { databricks: () => svc.databricksJobs() }),
      ),
    notifier: () => ({
      sendNotice: (policy, names, n) => sendNotice(policy, names, n, env),
      sendApprovalLinks: (policy, channel, links, n) => sendApprovalLinks(policy, channel, links, n, env),
    }),
  };
  return svc;
}

const perEnv = new WeakMap<Env, Services>();

/** The services of one env object (tests pass their own settings). */
export function servicesFor(env: Env): Services {
  let s = perEnv.get(env);
  if (!s) {
    s = create(env);
    perEnv.set(env, s);
  }
  return s;
}

/** The app's services, from process.env. */
export function services(): Services {
  return servicesFor(process.env);
}

/** Databricks clients with an explicit Entra credential (tests, tools); not kept. */
export function databricksClientsWith(env: Env, credential: TokenCredential): DatabricksClients {
  const s = requireDatabricks(env, UC_HOST_MESSAGE);
  return buildDatabricksClients(s, databricksAuth(s, credential).auth);
}
