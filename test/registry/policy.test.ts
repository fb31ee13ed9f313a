/** Policy rules of the registry choice, through parsePolicyText / resolvePolicy as `policy check` uses them. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PolicyInvalidError, parsePolicyText, resolvePolicy } from '../../shared/policy';
import { loadPolicy } from '../../shared/policy/load';
import { REPO_ROOT } from '../helpers/host';

const head = 'version: 1\n';

function issues(text: string): string[] {
  try {
    parsePolicyText(text, 'test.yaml');
    return [];
  } catch (e) {
    if (e instanceof PolicyInvalidError) return e.issues.map((i) => `${i.path}: ${i.message}`);
    throw e;
  }
}

describe('policy: registry per model', () => {
  it('defaults to mlflow; a model or defaults may choose another registry', () => {
    expect(
      resolvePolicy(parsePolicyText(`${head}defaults: { approval: { required: false } }\nmodels:\n  m: {}\n`), 'm')
        .policy.registry,
    ).toBe('mlflow');
    const p = parsePolicyText(
      `${head}defaults:\n  registry: unity-catalog\n  approval: { required: false }\nmodels:\n  main.ml.a: {}\n  legacy: { registry: databricks-workspace, promotion: { mode: stages } }\n`,
    );
    expect(resolvePolicy(p, 'main.ml.a').policy.registry).toBe('unity-catalog');
    expect(resolvePolicy(p, 'legacy').policy).toMatchObject({
      registry: 'databricks-workspace',
      promotion: { mode: 'stages' },
    });
  });

  it('refuses stages with unity-catalog, naming the field', () => {
    expect(
      issues(`${head}models:\n  main.ml.a: { registry: unity-catalog, promotion: { mode: stages } }\n`).join('\n'),
    ).toMatch(/models\.main\.ml\.a\.promotion\.mode.*has no stages|promotion\.mode.*no stages/);
  });

  it('refuses a UC model entry that is not three-level (also when the registry comes from defaults)', () => {
    expect(
      issues(
        `${head}defaults: { approval: { required: false } }\nmodels:\n  breast_cancer: { registry: unity-catalog }\n`,
      ).join('\n'),
    ).toMatch(/models\.breast_cancer: registry unity-catalog needs three-level model names/);
    expect(
      issues(
        `${head}defaults: { registry: unity-catalog, approval: { required: false } }\nmodels:\n  'main.*': {}\n`,
      ).join('\n'),
    ).toMatch(/three-level/);
    expect(
      issues(
        `${head}defaults: { registry: unity-catalog, approval: { required: false } }\nmodels:\n  'main.ml.*': {}\n`,
      ),
    ).toEqual([]);
  });

  it('refuses approval.deploymentJobTag outside Unity Catalog and an invalid task name', () => {
    expect(
      issues(
        `${head}models:\n  m: { approval: { approvers: { users: [a] }, deploymentJobTag: Approval_Check } }\n`,
      ).join('\n'),
    ).toMatch(/deploymentJobTag.*registry: unity-catalog/);
    expect(
      issues(
        `${head}models:\n  main.ml.a: { registry: unity-catalog, approval: { approvers: { users: [a] }, deploymentJobTag: 'has space' } }\n`,
      ).join('\n'),
    ).toMatch(/deploymentJobTag/);
  });

  it('the Unity Catalog example policy is valid', async () => {
    const p = await loadPolicy(join(REPO_ROOT, 'examples/policies/unity-catalog.policy.yaml'));
    expect(resolvePolicy(p, 'main.ml.breast_cancer_classifier').policy).toMatchObject({
      registry: 'unity-catalog',
      approval: { deploymentJobTag: 'Approval_Check' },
    });
  });
});
