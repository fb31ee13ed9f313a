/**
 * Issue #18: the user-assigned identity gets exactly the data-plane roles its identity-based connections need, each
 * scoped to its resource, with the documented built-in role definition ids.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decl, infraFile, loadInfra, objectEntries } from './bicep';

/**
 * Azure built-in role definition ids (learn.microsoft.com/azure/role-based-access-control/built-in-roles), the same
 * in every tenant and cloud.
 */
const BUILT_IN_ROLES: Record<string, string> = {
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  'Storage Blob Data Contributor': 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  'Azure Service Bus Data Owner': '090c5cfd-751d-490a-894a-3ce6f1109419',
  'Azure Service Bus Data Sender': '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39',
  'Azure Service Bus Data Receiver': '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0',
  'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
  'Key Vault Secrets Officer': 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb',
  'Durable Task Data Contributor': '0ad04412-c4d5-4796-b79c-f76d14c8d402',
};
const BROAD_ROLES: Record<string, string> = {
  Owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  Contributor: 'b24988ac-6180-42e1-9b68-2b6fd8ae1f8d',
  'User Access Administrator': '18d7d88d-d35f-4fb5-a5c3-7773c4a72ab5',
};

/** What each identity-based connection needs: one of the role sets, on the resource symbol in roles.bicep. */
const NEEDS: Array<{ connection: string; scope: string; anyOf: string[][] }> = [
  {
    connection: 'AzureWebJobsStorage (host, Flex package, Durable Functions blobs) + reports',
    scope: 'storage',
    anyOf: [['Storage Blob Data Owner']],
  },
  {
    connection: 'Durable Functions queues (Azure Storage backend)',
    scope: 'storage',
    anyOf: [['Storage Queue Data Contributor']],
  },
  {
    connection: 'Durable Functions tables + records tables (StorageAccountName)',
    scope: 'storage',
    anyOf: [['Storage Table Data Contributor']],
  },
  {
    connection: 'ServiceBusConnection (publisher + triggers)',
    scope: 'serviceBus',
    anyOf: [['Azure Service Bus Data Owner'], ['Azure Service Bus Data Sender', 'Azure Service Bus Data Receiver']],
  },
  { connection: 'Key Vault references', scope: 'vault', anyOf: [['Key Vault Secrets User']] },
  {
    connection: 'Application Insights with local auth off',
    scope: 'appInsights',
    anyOf: [['Monitoring Metrics Publisher']],
  },
  {
    connection: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING',
    scope: 'scheduler',
    anyOf: [['Durable Task Data Contributor']],
  },
];

const roles = infraFile('modules/roles.bicep');
const roleIds = objectEntries(decl(roles, 'var', 'roleIds').value);
const idToName = new Map(Object.entries(BUILT_IN_ROLES).map(([n, id]) => [id, n]));

interface Assignment {
  symbol: string;
  scope: string;
  role: string;
  principal: string;
  condition: string | undefined;
}
const assignments: Assignment[] = roles.decls
  .filter((d) => d.kind === 'resource' && d.type.startsWith('Microsoft.Authorization/roleAssignments@'))
  .map((d) => {
    const body = objectEntries(d.value.slice(d.value.indexOf('{')));
    const props = objectEntries(body.get('properties')!);
    const key = /roleIds\.(\w+)/.exec(props.get('roleDefinitionId') ?? '')?.[1] ?? '';
    const id = roleIds.get(key)?.replace(/'/g, '') ?? '';
    return {
      symbol: d.name,
      scope: body.get('scope') ?? '',
      role: idToName.get(id) ?? `unknown ${key} ${id}`,
      principal: props.get('principalId') ?? '',
      condition: /^if \((.*)\)/.exec(d.value)?.[1],
    };
  });
const appAssignments = assignments.filter((a) => a.principal === 'principalId');

describe('infra: role assignments of the app identity', () => {
  it('uses only documented built-in role ids', () => {
    expect(roleIds.size).toBeGreaterThan(5);
    for (const [key, id] of roleIds)
      expect(idToName.has(id.replace(/'/g, '')), `roleIds.${key} = ${id} is not a known built-in role id`).toBe(true);
  });

  it('assigns every role an identity-based connection needs, on the resource it is for', () => {
    for (const need of NEEDS) {
      const granted = appAssignments.filter((a) => a.scope === need.scope).map((a) => a.role);
      expect(
        need.anyOf.some((set) => set.every((r) => granted.includes(r))),
        `${need.connection}: needs ${need.anyOf.map((s) => s.join(' + ')).join(' or ')} on ${need.scope}, has ${granted.join(', ') || 'nothing'}`,
      ).toBe(true);
    }
  });

  it('assigns the app nothing else: no role beyond the needs, no broad role anywhere in infra/', () => {
    const needed = new Set(NEEDS.flatMap((n) => n.anyOf.flat().map((r) => `${n.scope}:${r}`)));
    for (const a of appAssignments)
      expect(needed.has(`${a.scope}:${a.role}`), `${a.symbol}: ${a.role} on ${a.scope} is not needed`).toBe(true);
    for (const f of loadInfra()) {
      for (const [name, id] of Object.entries(BROAD_ROLES)) expect(f.text, `${f.rel} uses ${name}`).not.toContain(id);
    }
  });

  it('assigns the Durable Task Scheduler role only when that backend is deployed, to a service principal', () => {
    const dts = appAssignments.find((a) => a.role === 'Durable Task Data Contributor');
    expect(dts?.condition).toBe('!empty(schedulerName)');
    for (const d of roles.decls.filter((x) => x.type.startsWith('Microsoft.Authorization/roleAssignments@'))) {
      const props = objectEntries(objectEntries(d.value.slice(d.value.indexOf('{'))).get('properties')!);
      expect(props.get('principalType')).toMatch(/^'(ServicePrincipal|User)'$/);
    }
  });

  it('scopes each assignment to an existing resource of the right type', () => {
    const types: Record<string, string> = {
      storage: 'Microsoft.Storage/storageAccounts',
      serviceBus: 'Microsoft.ServiceBus/namespaces',
      vault: 'Microsoft.KeyVault/vaults',
      appInsights: 'Microsoft.Insights/components',
      scheduler: 'Microsoft.DurableTask/schedulers',
    };
    for (const a of assignments) {
      const target = decl(roles, 'resource', a.scope);
      expect(target.type.split('@')[0]).toBe(types[a.scope]);
    }
  });

  it('does not grant Azure Databricks by RBAC (workspace access is granted in the workspace) and says so', () => {
    expect(roles.text).not.toMatch(/Microsoft\.Databricks/);
    expect(readFileSync(roles.path, 'utf8')).toMatch(
      /Databricks is not here on purpose: workspace access is granted in the workspace/,
    );
  });
});
