/**
 * Issue #17: a half-configured app must not run. Locally the host exits non-zero naming the setting; in Azure
 * (WEBSITE_INSTANCE_ID / WEBSITE_SKU present) the functions answer 503 with the problem and /api/health reports it.
 * The sample settings still start cleanly (npm start).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { azureSettingProblems, azureSettingWarnings, runningInAzure } from '../../shared/config/azure';
import { runStartupCheck } from '../../shared/config/startup-check';
import { REPO_ROOT, startHostProcess } from '../helpers/host';

const sampleValues = (): Record<string, string> =>
  (
    JSON.parse(readFileSync(join(REPO_ROOT, 'local.settings.sample.json'), 'utf8')) as {
      Values: Record<string, string>;
    }
  ).Values;

const KEY = 'startup-test-function-key-0123456789';

describe('Azure detection and Azure-only settings rules', () => {
  it('detects Azure from WEBSITE_INSTANCE_ID or WEBSITE_SKU only', () => {
    expect(runningInAzure({})).toBe(false);
    expect(runningInAzure({ WEBSITE_INSTANCE_ID: 'abc' })).toBe(true);
    expect(runningInAzure({ WEBSITE_SKU: 'FlexConsumption' })).toBe(true);
  });

  it('requires STAGECRAFT_POLICY_PATH in Azure (the demo policy is not deployed), not locally', () => {
    expect(azureSettingProblems({})).toEqual([]);
    // An unresolved Key Vault reference is never taken as a secret's value: a problem naming the setting, not the text.
    const unresolved = azureSettingProblems({
      WEBSITE_INSTANCE_ID: 'abc',
      STAGECRAFT_POLICY_PATH: 'p.yaml',
      GITHUB_WEBHOOK_SECRETS: '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/gh/)',
    });
    expect(unresolved).toHaveLength(1);
    expect(unresolved[0]).toMatch(/^GITHUB_WEBHOOK_SECRETS: a Key Vault reference/);
    expect(unresolved[0]).not.toContain('vault.azure.net');
    expect(azureSettingProblems({ WEBSITE_INSTANCE_ID: 'abc' }).join()).toContain('STAGECRAFT_POLICY_PATH');
    expect(azureSettingProblems({ WEBSITE_INSTANCE_ID: 'abc', STAGECRAFT_POLICY_PATH: 'policy/prod.yaml' })).toEqual(
      [],
    );
  });

  it('warns about settings Flex Consumption rejects or ignores, by name only', () => {
    const env = {
      WEBSITE_SKU: 'FlexConsumption',
      FUNCTIONS_WORKER_RUNTIME: 'node',
      FUNCTIONS_EXTENSION_VERSION: '~4',
      WEBSITE_RUN_FROM_PACKAGE: '1',
      WEBSITE_TIME_ZONE: 'W. Europe Standard Time',
    };
    const w = azureSettingWarnings(env);
    expect(w.map((x) => x.split(':')[0])).toEqual([
      'FUNCTIONS_WORKER_RUNTIME',
      'FUNCTIONS_EXTENSION_VERSION',
      'WEBSITE_RUN_FROM_PACKAGE',
      'WEBSITE_TIME_ZONE',
    ]);
    expect(w.join()).not.toContain('W. Europe');
    expect(azureSettingWarnings({ FUNCTIONS_WORKER_RUNTIME: 'node' })).toEqual([]);
  });
});

describe('start-up check against the local host', () => {
  it('locally: the host refuses to start and exits non-zero, naming the invalid setting', async () => {
    const err = await startHostProcess({
      appDir: REPO_ROOT,
      env: { RECORDS_TABLE_PREFIX: 'not-a-table-prefix!', STAGECRAFT_HISTORY_RETENTION: '2h' },
      args: ['--no-azurite'],
    }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toMatch(/Host exited \(code [1-9]/);
    expect(err!.message).toContain('RECORDS_TABLE_PREFIX');
    expect(err!.message).toContain('STAGECRAFT_HISTORY_RETENTION: must be a duration of at least 1d');
  });

  it('in Azure: functions answer 503 with the problem, /api/health reports it, Flex-only warnings are logged', async () => {
    const host = await startHostProcess({
      appDir: REPO_ROOT,
      env: {
        WEBSITE_INSTANCE_ID: 'startup-test',
        WEBSITE_SKU: 'FlexConsumption',
        STAGECRAFT_POLICY_PATH: '',
        STAGECRAFT_FUNCTION_KEY: KEY,
        STAGECRAFT_APPROVAL_LINK_SECRETS: 'tiny-secret-x',
      },
    });
    try {
      const health = await fetch(`${host.baseUrl}/api/health`);
      expect(health.status).toBe(503);
      const body = (await health.json()) as { status: string; problems: string[]; warnings: string[] };
      expect(body.status).toBe('misconfigured');
      expect(body.problems.join('\n')).toContain('STAGECRAFT_POLICY_PATH');
      expect(body.problems.join('\n')).toContain(
        'STAGECRAFT_APPROVAL_LINK_SECRETS: every secret must be at least 16 characters',
      );
      expect(JSON.stringify(body)).not.toContain('tiny-secret-x');
      // The sample settings set FUNCTIONS_WORKER_RUNTIME (the local host uses it); on Flex it must not be set.
      expect(body.warnings.join('\n')).toContain('FUNCTIONS_WORKER_RUNTIME');

      const runs = await fetch(`${host.baseUrl}/api/runs`, { headers: { 'x-functions-key': KEY } });
      expect(runs.status).toBe(503);
      const answer = (await runs.json()) as { code: string; problems: string[] };
      expect(answer.code).toBe('CONFIG_INVALID');
      expect(answer.problems.join('\n')).toContain('STAGECRAFT_POLICY_PATH');
      expect(host.logs()).toContain('Stagecraft settings warning: FUNCTIONS_WORKER_RUNTIME');
    } finally {
      await host.stop();
    }
  });

  it('the sample settings start cleanly and /api/health is ok', async () => {
    const host = await startHostProcess({ appDir: REPO_ROOT, args: ['--no-azurite'] });
    try {
      const health = await fetch(`${host.baseUrl}/api/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok' });
      expect(host.logs()).toContain('Stagecraft settings and policy validated');
    } finally {
      await host.stop();
    }
  });
});

describe('policy local jobs in Azure', () => {
  it("the start-up check warns that the demo policy's runner: local jobs cannot run in Azure, naming where they are", async () => {
    const check = await runStartupCheck({
      ...sampleValues(),
      WEBSITE_INSTANCE_ID: 'x',
      STAGECRAFT_POLICY_PATH: join(REPO_ROOT, 'stagecraft.policy.yaml'),
    });
    expect(check.problems).toEqual([]);
    const w = check.warnings.find((x) => x.includes("'runner: local'"));
    expect(w).toContain('LOCAL_JOBS_NOT_IN_AZURE');
    expect(w).toMatch(/jobs\.|models\.|pipelines\./);
    // Locally the same policy is fine.
    expect(
      (await runStartupCheck({ ...sampleValues(), STAGECRAFT_POLICY_PATH: join(REPO_ROOT, 'stagecraft.policy.yaml') }))
        .warnings,
    ).toEqual([]);
  });
});
