/**
 * What differs when the app runs in Azure rather than under the local host, decided from platform settings only
 * (never guessed from paths): App Service sets WEBSITE_INSTANCE_ID on every instance and WEBSITE_SKU on every plan
 * (`FlexConsumption` on Flex Consumption); the local host sets neither.
 */
import type { Env } from './env';
export type { Env } from './env';

const set = (env: Env, name: string): boolean => (env[name]?.trim() ?? '') !== '';

export function runningInAzure(env: Env = process.env): boolean {
  return set(env, 'WEBSITE_INSTANCE_ID') || set(env, 'WEBSITE_SKU');
}

export function runningOnFlex(env: Env = process.env): boolean {
  return env['WEBSITE_SKU']?.trim().toLowerCase() === 'flexconsumption';
}

/** Settings the app needs in Azure although the local host has defaults for them. */
export const REQUIRED_IN_AZURE: readonly { name: string; why: string }[] = [
  {
    name: 'STAGECRAFT_POLICY_PATH',
    why: "the repository's demo policy (stagecraft.policy.yaml) is not deployed (.funcignore); point this at the policy file you package with the app",
  },
];

/**
 * Settings Flex Consumption manages itself and rejects or ignores as app settings (runtime and version come from the
 * site's functionAppConfig, the package from its deployment storage; WEBSITE_TIME_ZONE is ignored there while the
 * local host honours it, so timers would fire at different hours).
 */
export const NOT_ON_FLEX: readonly string[] = [
  'FUNCTIONS_WORKER_RUNTIME',
  'FUNCTIONS_EXTENSION_VERSION',
  'WEBSITE_RUN_FROM_PACKAGE',
  'WEBSITE_TIME_ZONE',
];

/**
 * App Service leaves a Key Vault reference it cannot resolve (missing secret, no access) in the setting as its literal
 * text; taken as a value it would become a webhook secret or key anyone can read in the template. Names only.
 */
export function unresolvedKeyVaultReferences(env: Env): string[] {
  return Object.entries(env)
    .filter(([, v]) => typeof v === 'string' && /^\s*@Microsoft\.KeyVault\(/i.test(v))
    .map(
      ([name]) =>
        `${name}: a Key Vault reference App Service could not resolve (check the secret exists and the app's identity has Key Vault Secrets User)`,
    );
}

/** Problems that stop the app in Azure (each names the setting; unresolved Key Vault references anywhere), else none. */
export function azureSettingProblems(env: Env = process.env): string[] {
  const unresolved = unresolvedKeyVaultReferences(env);
  if (!runningInAzure(env)) return unresolved;
  return [
    ...REQUIRED_IN_AZURE.filter((s) => !set(env, s.name)).map((s) => `${s.name}: required in Azure (${s.why})`),
    ...unresolved,
  ];
}

/** Settings that are set but should not be (warnings, never values). */
export function azureSettingWarnings(env: Env = process.env): string[] {
  if (!runningOnFlex(env)) return [];
  return NOT_ON_FLEX.filter((n) => set(env, n)).map((n) =>
    n === 'WEBSITE_TIME_ZONE'
      ? `${n}: ignored on Flex Consumption (timers run in UTC there, unlike the local host); remove it and write schedules in UTC`
      : `${n}: must not be set on Flex Consumption (the platform manages it); remove the app setting`,
  );
}
