/**
 * Issue #18: the templates set every setting the app requires in Azure (or take it from a named deployment
 * parameter), never the ones Flex Consumption rejects, and keep every secret setting in Key Vault.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NOT_ON_FLEX, REQUIRED_IN_AZURE } from '../../shared/config/azure';
import { SETTINGS_DOC } from '../../shared/config/settings';
import { WORKFLOW_SETTINGS_DOC } from '../../shared/config/workflow-settings';
import { REPO_ROOT } from '../helpers/host';
import { decl, infraFile, loadInfra, matchBracket, objectEntries, type BicepFile } from './bicep';

const resources = infraFile('resources.bicep');
const main = infraFile('main.bicep');
const functionApp = infraFile('modules/functionapp.bicep');

/** Every object literal inside an expression (e.g. both branches of `cond ? { ... } : { ... }`), merged. */
function objectsIn(value: string): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '{') {
      const end = matchBracket(value, i);
      for (const [k, v] of objectEntries(value.slice(i, end))) out.set(k, v);
      i = end - 1;
    }
  }
  return out;
}

function stringList(file: BicepFile, name: string): string[] {
  return [...decl(file, 'var', name).value.matchAll(/'([^']+)'/g)].map((m) => m[1]!);
}

const paramNames = (f: BicepFile) => new Set(f.decls.filter((d) => d.kind === 'param').map((d) => d.name));

/** App setting name → Bicep value expression, for everything the Function App gets. */
function appSettings(): Map<string, { value: string; from: string }> {
  const out = new Map<string, { value: string; from: string }>();
  // functionapp.bicep: properties: union(appSettings, stagecraftSettings, keyVaultReferences)
  const settingsResource = decl(functionApp, 'resource', 'settings');
  expect(settingsResource.type).toMatch(/^Microsoft\.Web\/sites\/config@/);
  expect(objectEntries(settingsResource.value).get('properties')).toBe(
    'union(appSettings, stagecraftSettings, keyVaultReferences)',
  );
  for (const [k, v] of objectsIn(decl(functionApp, 'var', 'stagecraftSettings').value))
    out.set(k, { value: v, from: 'functionapp.bicep' });
  // resources.bicep passes appSettings: union(extraAppSettings, parameterSettings, identityConnections, durableSettings)
  const moduleParams = objectEntries(objectEntries(decl(resources, 'module', 'functionApp').value).get('params')!);
  expect(moduleParams.get('appSettings')).toBe(
    'union(extraAppSettings, parameterSettings, identityConnections, durableSettings)',
  );
  for (const v of ['parameterSettingsAll', 'identityConnections', 'durableSettings']) {
    for (const [k, val] of objectsIn(decl(resources, 'var', v).value))
      out.set(k, { value: val, from: `resources.bicep ${v}` });
  }
  for (const n of stringList(resources, 'secretSettingNames'))
    out.set(n, { value: 'keyVaultReference', from: 'Key Vault' });
  return out;
}

/** README "Azure settings" rows whose "In Azure" cell starts with "required": each row's alternatives. */
function readmeRequiredInAzure(): string[][] {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## Azure settings');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  return section
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((l) => l.split('|').map((c) => c.trim()))
    .filter((cells) => /^(\*\*)?required/.test(cells[2] ?? ''))
    .map((cells) => [...(cells[1] ?? '').matchAll(/`([A-Za-z_][\w]*)`/g)].map((m) => m[1]!));
}

/** Secret settings of the docs: SETTINGS_DOC, WORKFLOW_SETTINGS_DOC and the README settings tables' Secret column. */
function documentedSecrets(): Set<string> {
  const names = new Set<string>([...SETTINGS_DOC, ...WORKFLOW_SETTINGS_DOC].filter((s) => s.secret).map((s) => s.name));
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const settings = readme.slice(readme.indexOf('## Settings'), readme.indexOf('## Azure settings'));
  for (const line of settings.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const name = /^`([A-Za-z_][\w]*)`$/.exec(cells[1] ?? '')?.[1];
    if (name === undefined) continue;
    // Tables: | Setting | Required | Default | Secret | Description | and | Setting | Default | Secret | Description |
    const secretCell = cells.length >= 7 ? cells[4] : cells[3];
    if (secretCell === 'yes') names.add(name);
  }
  return names;
}

/** Secret settings that are deliberately not in Key Vault, with the reason. */
const NOT_IN_KEY_VAULT: Record<string, string> = {
  AzureWebJobsStorage: 'replaced by the identity-based AzureWebJobsStorage__accountName / StorageAccountName',
  ServiceBusConnection: 'replaced by the identity-based ServiceBusConnection__fullyQualifiedNamespace',
  STAGECRAFT_APPROVER_KEYS:
    'local host only (README Azure settings); Azure callers are identified by App Service authentication',
  APPLICATIONINSIGHTS_CONNECTION_STRING:
    'set from the Application Insights resource; local auth is off there, so ingestion needs the identity (APPLICATIONINSIGHTS_AUTHENTICATION_STRING), not this string',
};

describe('infra: app settings of the Function App', () => {
  const settings = appSettings();

  it('sets every setting shared/config requires in Azure from a named deployment parameter of main.bicep and resources.bicep', () => {
    expect(REQUIRED_IN_AZURE.length).toBeGreaterThan(0);
    for (const { name } of REQUIRED_IN_AZURE) {
      const s = settings.get(name);
      expect(s, `${name} is not set by the templates`).toBeDefined();
      expect(paramNames(resources).has(s!.value), `${name} = ${s!.value} is not a resources.bicep parameter`).toBe(
        true,
      );
      expect(paramNames(main).has(s!.value), `${name}: main.bicep has no parameter ${s!.value}`).toBe(true);
      const required = decl(resources, 'param', s!.value);
      expect(required.value, `${name}: its parameter must have no default`).toBe('');
      expect(required.decorators.join(' ')).toContain('@minLength(1)');
    }
  });

  it('sets every setting the config schema requires (or its documented alternative) or maps it from a named parameter', () => {
    for (const doc of SETTINGS_DOC.filter((d) => d.required !== false)) {
      const alternative = typeof doc.required === 'string' ? /unless (\w+) is set/.exec(doc.required)?.[1] : undefined;
      const names = [doc.name, ...(alternative ? [alternative] : [])];
      const set = names.find((n) => settings.has(n));
      expect(set, `${doc.name} (required: ${String(doc.required)}) is not set`).toBeDefined();
      const v = settings.get(set!)!.value;
      const literalOrDerived = /^'/.test(v) || /\.outputs\./.test(v) || paramNames(resources).has(v);
      expect(literalOrDerived, `${set} = ${v}`).toBe(true);
    }
  });

  it('sets every setting the README "Azure settings" section marks required (one alternative of each row)', () => {
    const rows = readmeRequiredInAzure();
    expect(rows.length).toBeGreaterThanOrEqual(4);
    for (const alternatives of rows)
      expect(
        alternatives.some((n) => settings.has(n)),
        alternatives.join(' or '),
      ).toBe(true);
  });

  it('uses identity-based connections through the user-assigned identity and sets AZURE_CLIENT_ID to its client id', () => {
    for (const prefix of ['AzureWebJobsStorage', 'ServiceBusConnection']) {
      expect(settings.get(`${prefix}__credential`)?.value).toBe("'managedidentity'");
      expect(settings.get(`${prefix}__clientId`)?.value).toBe('identity.outputs.clientId');
    }
    expect(settings.get('AZURE_CLIENT_ID')?.value).toBe('identity.outputs.clientId');
    expect(settings.has('AzureWebJobsStorage')).toBe(false);
    expect(settings.has('ServiceBusConnection')).toBe(false);
  });

  it('never sets a setting Flex Consumption manages or ignores, in any template', () => {
    for (const f of loadInfra()) {
      for (const n of NOT_ON_FLEX) expect(f.text, `${f.rel} sets ${n}`).not.toMatch(new RegExp(`\\b${n}\\s*:`));
    }
  });

  it('keeps every documented secret setting in Key Vault (or says why not), and none as a plain app setting', () => {
    const inVault = new Set(stringList(resources, 'secretSettingNames'));
    const secrets = documentedSecrets();
    expect(secrets.size).toBeGreaterThan(10);
    for (const s of secrets) {
      if (NOT_IN_KEY_VAULT[s] !== undefined) continue;
      expect(inVault.has(s), `${s} is a secret setting but not in resources.bicep secretSettingNames`).toBe(true);
    }
    for (const name of inVault) {
      expect(settings.get(name)?.from).toBe('Key Vault');
      for (const f of loadInfra())
        expect(f.text, `${f.rel} sets ${name} outside Key Vault`).not.toMatch(new RegExp(`^\\s*${name}\\s*:`, 'm'));
    }
  });

  it('references secrets as versionless Key Vault references and only secrets that exist', () => {
    expect(decl(functionApp, 'var', 'keyVaultReferences').value).toBe(
      "toObject(referencedSecrets, n => n, n => '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${replace(n, '_', '-')}/)')",
    );
    expect(decl(resources, 'var', 'referencedSecrets').value).toBe(
      'filter(secretSettingNames, n => contains(secretValues, n) || contains(keyVaultManagedSecrets, n))',
    );
    expect(decl(resources, 'param', 'secretValues').decorators).toContain('@secure()');
    expect(decl(main, 'param', 'secretValues').decorators).toContain('@secure()');
    const site = objectEntries(objectEntries(decl(functionApp, 'resource', 'site').value).get('properties')!);
    expect(site.get('keyVaultReferenceIdentity')).toBe('identityId');
  });

  it('runs Node 22 on Flex Consumption (FC1) with the package read by the user-assigned identity', () => {
    const plan = decl(functionApp, 'resource', 'plan');
    expect(objectEntries(plan.value).get('sku')).toBe("{ tier: 'FlexConsumption', name: 'FC1' }");
    const props = objectEntries(objectEntries(decl(functionApp, 'resource', 'site').value).get('properties')!);
    const config = objectEntries(props.get('functionAppConfig')!);
    expect(objectEntries(config.get('runtime')!)).toEqual(
      new Map([
        ['name', "'node'"],
        ['version', "'22'"],
      ]),
    );
    const auth = objectEntries(
      objectEntries(objectEntries(config.get('deployment')!).get('storage')!).get('authentication')!,
    );
    expect(auth.get('type')).toBe("'UserAssignedIdentity'");
    expect(objectEntries(decl(functionApp, 'resource', 'site').value).get('kind')).toBe("'functionapp,linux'");
  });

  it('turns on App Service authentication with Entra ID, allowing unauthenticated requests, and the tenant setting the app requires', () => {
    const auth = objectEntries(objectEntries(decl(functionApp, 'resource', 'auth').value).get('properties')!);
    const global = objectEntries(auth.get('globalValidation')!);
    expect(global.get('requireAuthentication')).toBe('false');
    expect(global.get('unauthenticatedClientAction')).toBe("'AllowAnonymous'");
    expect(
      objectEntries(objectEntries(auth.get('identityProviders')!).get('azureActiveDirectory')!).get('enabled'),
    ).toBe('true');
    expect(settings.get('STAGECRAFT_TRUST_CLIENT_PRINCIPAL')?.value).toBe("'true'");
    expect(settings.get('STAGECRAFT_AUTH_TENANT_ID')?.value).toBe('tenant().tenantId');
  });

  it('switches the durable provider by app settings when the Durable Task Scheduler backend is chosen', () => {
    const value = decl(resources, 'var', 'durableSettings').value;
    expect(value.startsWith("durableBackend == 'DurableTaskScheduler' ? {")).toBe(true);
    const dts = objectEntries(value.slice(value.indexOf('{')));
    expect(dts.get('AzureFunctionsJobHost__extensions__durableTask__storageProvider__type')).toBe("'azureManaged'");
    expect(dts.get('AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName')).toBe(
      "'DURABLE_TASK_SCHEDULER_CONNECTION_STRING'",
    );
    expect(dts.get('DURABLE_TASK_SCHEDULER_CONNECTION_STRING')).toBe(
      "'Endpoint=${scheduler!.outputs.endpoint};Authentication=ManagedIdentity;ClientID=${identity.outputs.clientId}'",
    );
    expect(decl(resources, 'param', 'durableBackend').value).toBe("'AzureStorage'");
    // host.json keeps the Azure Storage provider (the default backend).
    const host = JSON.parse(readFileSync(join(REPO_ROOT, 'host.json'), 'utf8')) as {
      extensions: { durableTask: { hubName: string; storageProvider: Record<string, string> } };
    };
    expect(host.extensions.durableTask.storageProvider['type']).toBeUndefined();
    expect(decl(resources, 'param', 'taskHubName').value).toBe(`'${host.extensions.durableTask.hubName}'`);
  });

  it('defines the app roles shared/auth/identity.ts maps', () => {
    const identity = readFileSync(join(REPO_ROOT, 'shared', 'auth', 'identity.ts'), 'utf8');
    const mapped = [...identity.matchAll(/'(stagecraft\.[a-z]+)'\s*:/g)].map((m) => m[1]!).sort();
    expect(mapped.length).toBe(3);
    const reg = infraFile('modules/app-registration.bicep');
    const defined = [...decl(reg, 'var', 'roles').value.matchAll(/value: '([^']+)'/g)]
      .map((m) => m[1]!.toLowerCase())
      .sort();
    expect(defined).toEqual(mapped);
  });
});
