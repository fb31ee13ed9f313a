/** Registry selection from settings, and the deployment job tag decision and write (against the UC fake). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/errors';
import { deploymentJobTagValue, setDeploymentJobTag } from '../../shared/registry/deployment-job';
import { registryFromEnv } from '../../shared/registry/from-env';
import { type FakeDatabricksUc, startFakeDatabricksUc } from '../fakes/databricks-uc';

let uc: FakeDatabricksUc;
beforeAll(async () => {
  uc = await startFakeDatabricksUc();
  uc.createVersion('main.ml.m', { createdBy: 'dave@contoso.com', status: 'READY' });
  uc.server.requireAuthorization('Bearer dapi-x');
});
afterAll(async () => {
  await uc.close();
});

describe('registry selection', () => {
  it('mlflow needs MLFLOW_TRACKING_URI; Databricks registries need DATABRICKS_HOST, named in the error', () => {
    expect(() => registryFromEnv('mlflow', {})).toThrow(ConfigError);
    expect(() => registryFromEnv('unity-catalog', {})).toThrow(/DATABRICKS_HOST/);
    expect(registryFromEnv('mlflow', { MLFLOW_TRACKING_URI: 'http://127.0.0.1:5000' }).kind).toBe('mlflow');
    expect(registryFromEnv('databricks-workspace', { DATABRICKS_HOST: uc.url, DATABRICKS_TOKEN: 'dapi-x' }).kind).toBe(
      'databricks-workspace',
    );
  });

  it('unity-catalog reads the UC fake with the PAT; the creator is the author', async () => {
    const reg = registryFromEnv('unity-catalog', { DATABRICKS_HOST: uc.url, DATABRICKS_TOKEN: 'dapi-x' });
    expect(reg.kind).toBe('unity-catalog');
    expect(await reg.getModelVersion('main.ml.m', '1')).toMatchObject({ user_id: 'dave@contoso.com', status: 'READY' });
  });
});

describe('deployment job approval tag', () => {
  it('approved → approved; rejected or expired → rejected; cancelled → nothing', () => {
    expect(deploymentJobTagValue('approved')).toBe('approved');
    expect(deploymentJobTagValue('rejected')).toBe('rejected');
    expect(deploymentJobTagValue('expired')).toBe('rejected');
    expect(deploymentJobTagValue('cancelled')).toBeUndefined();
  });

  it('writes the tag, and records (never throws) a write that failed', async () => {
    const reg = registryFromEnv('unity-catalog', { DATABRICKS_HOST: uc.url, DATABRICKS_TOKEN: 'dapi-x' });
    const ok = await setDeploymentJobTag(reg, {
      model: 'main.ml.m',
      version: '1',
      tag: 'Approval_Check',
      value: 'approved',
    });
    expect(ok).toMatchObject({ set: true, value: 'approved' });
    expect(uc.tagOf('main.ml.m', '1', 'Approval_Check')).toBe('approved');
    const missing = await setDeploymentJobTag(reg, {
      model: 'main.ml.m',
      version: '9',
      tag: 'Approval_Check',
      value: 'rejected',
    });
    expect(missing).toMatchObject({ set: false, value: 'rejected' });
    expect(missing.error).toMatch(/does not exist|not found/i);
  });
});
