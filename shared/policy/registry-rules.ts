/**
 * What a registry cannot do, as policy issues (pure): stages and deployment-job tags need the right registry;
 * a Unity Catalog model entry must be a three-level name (`catalog.schema.model`, globs allowed in each part).
 */
export const REGISTRY_KINDS = ['mlflow', 'databricks-workspace', 'unity-catalog'] as const;
export type RegistryKind = (typeof REGISTRY_KINDS)[number];

/** What each registry can do; `policy check` and the schema refuse the rest. */
export const REGISTRY_CAPABILITIES: Readonly<
  Record<RegistryKind, { stages: boolean; threeLevelNames: boolean; deploymentJobs: boolean }>
> = {
  mlflow: { stages: true, threeLevelNames: false, deploymentJobs: false },
  'databricks-workspace': { stages: true, threeLevelNames: false, deploymentJobs: false },
  'unity-catalog': { stages: false, threeLevelNames: true, deploymentJobs: true },
};

export interface RegistryRuleInput {
  registry: RegistryKind;
  promotion: { mode: 'aliases' | 'stages' };
  approval: { deploymentJobTag?: string | undefined };
}

export function registryIssues(p: RegistryRuleInput): { path: (string | number)[]; message: string }[] {
  const caps = REGISTRY_CAPABILITIES[p.registry];
  const out: { path: (string | number)[]; message: string }[] = [];
  if (p.promotion.mode === 'stages' && !caps.stages)
    out.push({
      path: ['promotion', 'mode'],
      message: `registry ${p.registry} has no stages: use promotion.mode: aliases (or registry: databricks-workspace for the legacy stages)`,
    });
  if (p.approval.deploymentJobTag !== undefined && !caps.deploymentJobs)
    out.push({
      path: ['approval', 'deploymentJobTag'],
      message: `deployment jobs are a Unity Catalog feature: approval.deploymentJobTag needs registry: unity-catalog (this model uses ${p.registry})`,
    });
  return out;
}

/** The model entry key (a name or glob) is three-level when the registry is Unity Catalog. */
export function registryNameIssue(registry: RegistryKind, entry: string): string | undefined {
  if (!REGISTRY_CAPABILITIES[registry].threeLevelNames) return undefined;
  const parts = entry.split('.');
  if (parts.length === 3 && parts.every((p) => p.length > 0 && !/\s|\//.test(p))) return undefined;
  return `registry unity-catalog needs three-level model names (catalog.schema.model); '${entry}' is not`;
}
