/** The config reader: defaults, parsing, and loud failures that name each setting without echoing secrets. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/errors';
import {
  loadConfig,
  requireSetting,
  SETTINGS_DOC,
  settingsMarkdownTable,
  type IntakeConfig,
} from '../../shared/config';
import { INTAKE_CONFIG, INTAKE_SETTINGS, INTAKE_SETTINGS_DOC, type IntakeSettings } from '../../shared/intake/sources';
import { BASE_ENV } from './helpers';

const MIN = {
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  ServiceBusConnection: 'Endpoint=sb://localhost;SharedAccessKeyName=k;SharedAccessKey=v;UseDevelopmentEmulator=true',
};

function problemsOf(env: Record<string, string | undefined>): Array<{ setting: string; problem: string }> {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).details!.problems as Array<{ setting: string; problem: string }>;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults with only storage and Service Bus set', () => {
    const c = loadConfig(MIN);
    expect(c.serviceBus).toMatchObject({ kind: 'connectionString', topicName: 'stagecraft-events' });
    expect(c.intake.maxBodyBytes).toBe(1_048_576);
    expect(c.intake.mlflow).toEqual({ secrets: [], toleranceSeconds: 300 });
    expect(c.git).toEqual({ mainBranches: ['main'], releasePatterns: ['release/*'] });
    expect(c.reconciler).toEqual({ schedule: '0 */5 * * * *', models: [] });
    expect(c.records).toEqual({ tablePrefix: 'Stagecraft', reportsContainer: 'stagecraft-reports' });
    for (const doc of SETTINGS_DOC.filter((d) => d.default !== undefined)) expect(typeof doc.default).toBe('string');
  });

  it('supports identity-based storage and Service Bus', () => {
    const c = loadConfig({
      StorageAccountName: 'stagecraftdata',
      ServiceBusConnection__fullyQualifiedNamespace: 'sb://sb-stagecraft.servicebus.windows.net/',
    });
    expect(c.storage).toEqual({ kind: 'identity', accountName: 'stagecraftdata' });
    expect(c.serviceBus).toMatchObject({
      kind: 'identity',
      fullyQualifiedNamespace: 'sb-stagecraft.servicebus.windows.net',
    });
  });

  it('splits comma-separated secrets for rotation and model lists, trimming blanks', () => {
    const c = loadConfig({ ...MIN, MLFLOW_WEBHOOK_SECRETS: ' a, b ,,', RECONCILER_MODELS: 'fraud-detector, churn' });
    expect(c.intake.mlflow.secrets).toEqual(['a', 'b']);
    expect(c.reconciler.models).toEqual(['fraud-detector', 'churn']);
  });

  it('fails once, naming every missing or invalid setting and what to set', () => {
    const problems = problemsOf({
      MLFLOW_WEBHOOK_TOLERANCE_SECONDS: 'five',
      INTAKE_MAX_BODY_BYTES: '-1',
      MLFLOW_TRACKING_URI: 'ftp://x',
      RECONCILER_SCHEDULE: '*/5 * * * *',
    });
    expect(problems.map((p) => p.setting).sort()).toEqual(
      [
        'AzureWebJobsStorage or StorageAccountName',
        'INTAKE_MAX_BODY_BYTES',
        'MLFLOW_TRACKING_URI',
        'MLFLOW_WEBHOOK_TOLERANCE_SECONDS',
        'RECONCILER_SCHEDULE',
        'ServiceBusConnection or ServiceBusConnection__fullyQualifiedNamespace',
      ].sort(),
    );
  });

  it('never echoes a secret value in its error', () => {
    try {
      loadConfig({ ...MIN, ServiceBusConnection: 'not-a-connection-string-SECRETVALUE', AZDO_WEBHOOK_USERNAME: 'u' });
      throw new Error('expected failure');
    } catch (e) {
      expect((e as Error).message).toMatch(/ServiceBusConnection: must be a Service Bus connection string/);
      expect((e as Error).message).toMatch(/AZDO_WEBHOOK_PASSWORDS/);
      expect((e as Error).message).not.toContain('SECRETVALUE');
      expect(JSON.stringify((e as ConfigError).details)).not.toContain('SECRETVALUE');
    }
  });

  it('requireSetting names the setting a feature needs', () => {
    const c = loadConfig(MIN);
    expect(() => requireSetting(c.mlflow.trackingUri, 'MLFLOW_TRACKING_URI')).toThrow(
      /MLFLOW_TRACKING_URI is required/,
    );
  });

  it('documents every setting in the generated README table', () => {
    const table = settingsMarkdownTable();
    for (const doc of SETTINGS_DOC) expect(table).toContain(`\`${doc.name}\``);
  });
});

// The intake's own settings section has today's `config.intake` type, both ways (checked by the compiler).
const sameShape: [IntakeConfig, IntakeSettings] = [{} as IntakeSettings, {} as IntakeConfig];
void sameShape;

describe('intake settings declared by the sources (INTAKE_SETTINGS)', () => {
  const envs: Array<Record<string, string | undefined>> = [
    MIN,
    BASE_ENV,
    {
      ...MIN,
      AZDO_WEBHOOK_HEADER_NAME: 'X-Custom',
      AZDO_WEBHOOK_HEADER_SECRETS: 'h1, h2',
      DATABRICKS_ALERT_MODELS: 'a1=fraud, b = churn',
      AZUREML_DRIFT_MODELS: 'm=x',
      DATABRICKS_UC_WEBHOOK_TOLERANCE_SECONDS: '60',
      CLOUDEVENTS_KEYS: 'k',
      INTAKE_MAX_BODY_BYTES: '2048',
    },
  ];

  it('parse every environment into exactly what loadConfig gives as config.intake', () => {
    for (const env of envs) expect(INTAKE_CONFIG.parse(env)).toEqual(loadConfig(env).intake);
  });

  it('report the same invalid settings as loadConfig, named the same', () => {
    const env = {
      ...MIN,
      MLFLOW_WEBHOOK_TOLERANCE_SECONDS: 'five',
      AZDO_WEBHOOK_USERNAME: 'u',
      DATABRICKS_JOBS_WEBHOOK_USERNAME: 'j',
      DATABRICKS_ALERT_MODELS: 'nomodel',
      INTAKE_MAX_BODY_BYTES: '-1',
    };
    const mine = INTAKE_SETTINGS.safeParse(env)
      .error?.issues.map((i) => String(i.path[0]))
      .sort();
    const theirs = problemsOf(env)
      .map((p) => p.setting)
      .filter((s) => INTAKE_SETTINGS_DOC.some((d) => d.name === s))
      .sort();
    expect(mine).toEqual(theirs);
    expect(mine).toEqual([
      'AZDO_WEBHOOK_PASSWORDS',
      'DATABRICKS_ALERT_MODELS',
      'DATABRICKS_JOBS_WEBHOOK_PASSWORDS',
      'INTAKE_MAX_BODY_BYTES',
      'MLFLOW_WEBHOOK_TOLERANCE_SECONDS',
    ]);
  });

  it('document the intake settings exactly as SETTINGS_DOC does, in the same order', () => {
    expect(INTAKE_SETTINGS_DOC).toEqual(SETTINGS_DOC.filter((d) => d.section === 'intake'));
  });
});
