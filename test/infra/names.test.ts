/**
 * Issue #18: resource names meet Azure's length and character rules for every value the hash can take. Names are
 * `'<abbreviation>${resourceToken}'` where resourceToken = toLower(uniqueString(...)): 13 characters of [a-z0-9].
 * The test evaluates each name expression of resources.bicep with a small interpreter for the only forms they use
 * (string interpolation of other variables) and checks the result against the rules from
 * learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules.
 */
import { describe, expect, it } from 'vitest';
import { decl, infraFile } from './bicep';

const resources = infraFile('resources.bicep');

/** Evaluates `'text ${name} text'` where every name is a var of resources.bicep (or given). */
function evaluate(expr: string, env: Record<string, string>): string {
  const m = /^'([^']*)'$/.exec(expr.trim());
  if (!m) throw new Error(`name expression outside the evaluated subset: ${expr}`);
  return m[1]!.replace(/\$\{([A-Za-z_]\w*)\}/g, (_, v: string) => {
    if (env[v] !== undefined) return env[v];
    return evaluate(decl(resources, 'var', v).value, env);
  });
}

const RULES: Record<string, { min: number; max: number; pattern: RegExp; what: string }> = {
  storageAccountName: {
    min: 3,
    max: 24,
    pattern: /^[a-z0-9]+$/,
    what: 'storage account: 3-24 lower-case letters and digits',
  },
  keyVaultName: {
    min: 3,
    max: 24,
    pattern: /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]*[a-zA-Z0-9]$/,
    what: 'Key Vault: 3-24, letter first, no --, letter or digit last',
  },
  serviceBusNamespaceName: {
    min: 6,
    max: 50,
    pattern: /^[a-zA-Z][a-zA-Z0-9-]*[a-zA-Z0-9]$(?<!-sb)(?<!-mgmt)/,
    what: 'Service Bus namespace: 6-50, letter first, letter or digit last, not ending -sb/-mgmt',
  },
  functionAppName: {
    min: 2,
    max: 60,
    pattern: /^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/,
    what: 'function app: 2-60 letters, digits, inner hyphens',
  },
  planName: { min: 1, max: 60, pattern: /^[a-zA-Z0-9-]+$/, what: 'App Service plan: 1-60 letters, digits, hyphens' },
  identityName: {
    min: 3,
    max: 128,
    pattern: /^[a-zA-Z0-9][a-zA-Z0-9_-]*$/,
    what: 'managed identity: 3-128, letter or digit first',
  },
  logAnalyticsName: {
    min: 4,
    max: 63,
    pattern: /^[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]$/,
    what: 'Log Analytics: 4-63, letter or digit at both ends',
  },
  appInsightsName: { min: 1, max: 260, pattern: /^[^%&\\?/]+$/, what: 'Application Insights: 1-260, no %&\\?/' },
  schedulerName: {
    min: 3,
    max: 64,
    pattern: /^[a-zA-Z0-9-]+$/,
    what: 'Durable Task Scheduler: 3-64 letters, digits, hyphens',
  },
  vnetName: { min: 2, max: 64, pattern: /^[a-zA-Z0-9][a-zA-Z0-9_.-]*[a-zA-Z0-9_]$/, what: 'virtual network: 2-64' },
  deploymentContainerName: {
    min: 3,
    max: 63,
    pattern: /^[a-z0-9](?!.*--)[a-z0-9-]*[a-z0-9]$/,
    what: 'blob container: 3-63 lower-case, no --',
  },
};

const TOKENS = ['0000000000000', 'zzzzzzzzzzzzz', 'a1b2c3d4e5f6g'];

describe('infra: resource names', () => {
  it('derives the hash from subscription, resource group and environment name, lower-cased', () => {
    expect(decl(resources, 'var', 'resourceToken').value).toBe(
      'toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))',
    );
  });

  it('does not put the raw environment name into any resource name', () => {
    for (const name of Object.keys(RULES)) expect(decl(resources, 'var', name).value).not.toContain('environmentName');
  });

  for (const [name, rule] of Object.entries(RULES)) {
    it(`${name} meets the ${rule.what} rule for every hash value`, () => {
      for (const resourceToken of TOKENS) {
        const value = evaluate(decl(resources, 'var', name).value, { resourceToken });
        expect(value.length, `${name} = ${value}`).toBeGreaterThanOrEqual(rule.min);
        expect(value.length, `${name} = ${value}`).toBeLessThanOrEqual(rule.max);
        expect(value, name).toMatch(rule.pattern);
      }
    });
  }

  it('the evaluator refuses expressions it cannot evaluate (so a new function in a name is noticed)', () => {
    expect(() => evaluate("take('x', 3)", { resourceToken: 'a' })).toThrow(/outside the evaluated subset/);
  });

  it('the task hub name suits both backends (Azure Storage: 3-45 letters and digits, letter first)', () => {
    const hub = /^'(.*)'$/.exec(decl(resources, 'param', 'taskHubName').value)?.[1] ?? '';
    expect(hub).toMatch(/^[a-zA-Z][a-zA-Z0-9]{2,44}$/);
  });
});
