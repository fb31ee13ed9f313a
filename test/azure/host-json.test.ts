/**
 * Issue #17: host.json settings that the real host ignores, renames or applies against us on Node.js apps.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/host';

const hostJson = JSON.parse(readFileSync(join(REPO_ROOT, 'host.json'), 'utf8')) as {
  logging?: { logLevel?: Record<string, string> };
  extensions?: { durableTask?: Record<string, unknown> & { storageProvider?: Record<string, unknown> } };
};

describe('host.json', () => {
  const durable = hostJson.extensions?.durableTask ?? {};

  it('does not set extendedSessionsEnabled (forced off for non-.NET apps)', () => {
    expect(durable).not.toHaveProperty('extendedSessionsEnabled');
  });

  it('names the durable storage connection with connectionName, not the obsolete connectionStringName', () => {
    expect(durable.storageProvider ?? {}).not.toHaveProperty('connectionStringName');
    expect(durable.storageProvider?.['connectionName']).toBe('AzureWebJobsStorage');
  });

  it('keeps successful invocations in request telemetry (Host.Results at Information or lower)', () => {
    const levels = hostJson.logging?.logLevel ?? {};
    const results = levels['Host.Results'] ?? levels['default'] ?? 'Information';
    expect(['Trace', 'Debug', 'Information']).toContain(results);
  });
});
