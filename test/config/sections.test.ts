/**
 * Settings sections and the composition root: each section validates only its own settings, optional areas stay
 * optional, the start-up check runs every section, and clients are built once per setting values.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSection, loadSection } from '../../shared/config/section';
import { ALL_SECTIONS, section, SECTIONS } from '../../shared/config/sections';
import { SETTINGS_DOC } from '../../shared/config/settings';
import { validateAllSettings, WORKFLOW_SETTINGS_DOC } from '../../shared/config/workflow-settings';
import { ConfigError } from '../../shared/errors';
import { runsSettings } from '../../shared/runs/settings';
import { servicesFor } from '../../shared/services';

const STORAGE = { AzureWebJobsStorage: 'UseDevelopmentStorage=true' };

describe('settings sections', () => {
  it('a section needs only its own settings: storage without Service Bus, Databricks not at all', () => {
    expect(section('storage', STORAGE)).toEqual({
      storage: { kind: 'connectionString', connectionString: 'UseDevelopmentStorage=true' },
      records: { tablePrefix: 'Stagecraft', reportsContainer: 'stagecraft-reports' },
    });
    expect(section('databricks', {})).toEqual({
      baseUrl: undefined,
      token: undefined,
      clientId: undefined,
      warehouseId: undefined,
    });
    expect(section('databricks', { DATABRICKS_HOST: 'adb-1.azuredatabricks.net' }).baseUrl).toBe(
      'https://adb-1.azuredatabricks.net',
    );
    expect(() => section('serviceBus', STORAGE)).toThrow(
      /ServiceBusConnection or ServiceBusConnection__fullyQualifiedNamespace: neither is set/,
    );
  });

  it('names every bad setting of a section with what to set, never the value', () => {
    try {
      section('storage', { StorageAccountName: 'Not_Valid-SECRETISH', RECORDS_TABLE_PREFIX: '9x' });
      throw new Error('expected a ConfigError');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const problems = (e as ConfigError).details!['problems'] as Array<{ setting: string }>;
      expect(problems.map((p) => p.setting).sort()).toEqual(['RECORDS_TABLE_PREFIX', 'StorageAccountName']);
      expect((e as Error).message).not.toContain('SECRETISH');
    }
  });

  it('a module can define its own section; it is memoized per setting values', () => {
    let builds = 0;
    const mine = defineSection(
      'test.mine',
      {
        MY_KEYS: z
          .string()
          .optional()
          .transform((v) => (v ?? '').split(',').filter(Boolean)),
      },
      (v) => {
        builds++;
        return { keys: v.MY_KEYS };
      },
    );
    const env: Record<string, string> = { MY_KEYS: 'a,b' };
    expect(loadSection(mine, env)).toEqual({ keys: ['a', 'b'] });
    expect(loadSection(mine, { ...env })).toEqual({ keys: ['a', 'b'] });
    expect(builds).toBe(1);
    env['MY_KEYS'] = 'c';
    expect(loadSection(mine, env)).toEqual({ keys: ['c'] });
    expect(builds).toBe(2);
  });

  it('the start-up check runs every section and names the setting', async () => {
    expect(Object.keys(SECTIONS)).toEqual(
      expect.arrayContaining([
        'storage',
        'serviceBus',
        'intake',
        'mlflow',
        'databricks',
        'jobs',
        'approvals',
        'sink',
        'telemetry',
      ]),
    );
    expect(ALL_SECTIONS.length).toBe(Object.keys(SECTIONS).length);
    const problems = await validateAllSettings({
      ...STORAGE,
      ServiceBusConnection: 'Endpoint=sb://127.0.0.1;SharedAccessKeyName=k;SharedAccessKey=v',
      MLFLOW_TRACKING_URI: 'ftp://x',
      STAGECRAFT_APPROVAL_LINK_SECRETS: 'short',
    });
    expect(problems.some((p) => p.startsWith('MLFLOW_TRACKING_URI: must be an http(s) URL'))).toBe(true);
    expect(
      problems.some((p) =>
        p.startsWith('STAGECRAFT_APPROVAL_LINK_SECRETS: every secret must be at least 16 characters'),
      ),
    ).toBe(true);
    expect(problems.some((p) => p.includes('DATABRICKS'))).toBe(false);
  });
});

describe('the areas converted from reader functions', () => {
  it('telemetry: the trace file only locally; in Azure refused by name unless the local host marks itself', () => {
    expect(section('telemetry', { STAGECRAFT_TRACE_EXPORT: 'memory-file:/tmp/s.jsonl' })).toEqual({
      mode: 'memory-file',
      otlp: false,
      filePath: '/tmp/s.jsonl',
    });
    expect(() => section('telemetry', { STAGECRAFT_TRACE_EXPORT: 'file:/tmp/s' })).toThrow(
      /STAGECRAFT_TRACE_EXPORT: must be memory-file:<path>/,
    );
    const azure = { STAGECRAFT_TRACE_EXPORT: 'memory-file:/tmp/s.jsonl', WEBSITE_INSTANCE_ID: 'x' };
    expect(() => section('telemetry', azure)).toThrow(/STAGECRAFT_TRACE_EXPORT: local tests only/);
    expect(section('telemetry', { ...azure, STAGECRAFT_HOST_STATE_DIR: '/tmp/h' }).mode).toBe('memory-file');
    const ai = section('telemetry', { APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=secret-value' });
    expect(ai).toMatchObject({ mode: 'azure-monitor', otlp: false });
    expect(section('telemetry', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318' }).mode).toBe('otlp');
  });

  it('runs and pipelines: storage optional, paths resolved by the reader, checkouts a JSON object', () => {
    const runs = runsSettings(
      { STAGECRAFT_PUBLIC_URL: 'https://app.example.com/', STAGECRAFT_POLICY_PATH: 'p.yaml' },
      '/app',
    );
    expect(runs).toMatchObject({ storage: undefined, tablePrefix: 'Stagecraft', publicUrl: 'https://app.example.com' });
    expect(runs.policyPath).toBe(join('/app', 'p.yaml'));
    expect(() => runsSettings({ STAGECRAFT_PUBLIC_URL: 'ftp://x' })).toThrow(
      /STAGECRAFT_PUBLIC_URL: must be an http\(s\) URL/,
    );
    expect(section('pipelines', { REPO_CHECKOUTS: '{"Acme/Deploy":"/src/deploy"}' }).checkouts).toEqual({
      'acme/deploy': '/src/deploy',
    });
    expect(() => section('pipelines', { REPO_CHECKOUTS: 'acme/deploy=/src' })).toThrow(
      /REPO_CHECKOUTS: must be a JSON object mapping repo ids to directories/,
    );
  });

  it('every setting a section reads is documented, unless the platform or the local host sets it', () => {
    const documented = new Set([...SETTINGS_DOC, ...WORKFLOW_SETTINGS_DOC].map((d) => d.name));
    // App Service sets WEBSITE_*; the OTLP exporter's standard variables; the local host publishes its state dir.
    const platform = (n: string) => /^WEBSITE_|^OTEL_EXPORTER_OTLP_/.test(n) || n === 'STAGECRAFT_HOST_STATE_DIR';
    const undocumented = ALL_SECTIONS.flatMap((s) => s.settings.filter((n) => !documented.has(n) && !platform(n)));
    expect(undocumented).toEqual([]);
  });

  it('a setting read by two sections is reported once at start-up', async () => {
    const problems = await validateAllSettings({ ...STORAGE, RECORDS_TABLE_PREFIX: '9x' });
    expect(problems.filter((p) => p.startsWith('RECORDS_TABLE_PREFIX:'))).toHaveLength(1);
  });
});

describe('composition root', () => {
  it('builds each client once per setting values and shares it between env objects with the same values', () => {
    const a = servicesFor({ MLFLOW_TRACKING_URI: 'http://127.0.0.1:5000' });
    const b = servicesFor({ MLFLOW_TRACKING_URI: 'http://127.0.0.1:5000' });
    expect(a.mlflow()).toBe(b.mlflow());
    expect(a.registry('mlflow')).toBe(b.registry('mlflow'));
    expect(servicesFor({ MLFLOW_TRACKING_URI: 'http://127.0.0.1:5001' }).mlflow()).not.toBe(a.mlflow());
    expect(servicesFor(a.env)).toBe(a);
  });

  it('a missing setting is named by the feature that needs it, not at construction of the others', () => {
    const s = servicesFor(STORAGE);
    expect(s.storage().reports.containerName).toBe('stagecraft-reports');
    expect(() => s.mlflow()).toThrow(/MLFLOW_TRACKING_URI must be set/);
    expect(() => s.databricks()).toThrow(/DATABRICKS_HOST/);
    expect(s.databricksJobs()).toBeUndefined();
    expect(s.optionalPublisher()).toBeUndefined();
    expect(() => s.publisher()).toThrow(ConfigError);
  });
});
