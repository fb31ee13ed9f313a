/**
 * Issue #17 item 2: the real Functions host resolves `%NAME%` binding expressions from app settings only, with no
 * defaults; an unset one disables the function. Every expression the app registers must therefore name a required
 * setting (documented as such and present in the sample settings), and settings with defaults are resolved in code.
 * The compiled app is loaded through the local host's loader, so this sees exactly what the host registers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { installCoreModule, type CoreRegistry } from '../../devhost/host/core-module';
import { loadEntryFiles, resolveEntryFiles } from '../../devhost/host/loader';
import { SETTINGS_DOC } from '../../shared/config';
import { REPO_ROOT } from '../helpers/host';

const sample = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'local.settings.sample.json'), 'utf8')) as { Values: Record<string, string> }
).Values;
let registry: CoreRegistry;

/** Every `%NAME%` in any string option of any binding, with where it was found. */
function expressions(): { name: string; where: string }[] {
  const out: { name: string; where: string }[] = [];
  for (const fn of registry.functions.values()) {
    for (const [key, binding] of Object.entries(fn.metadata.bindings)) {
      for (const [opt, v] of Object.entries(binding as unknown as Record<string, unknown>)) {
        if (typeof v !== 'string') continue;
        for (const m of v.matchAll(/%([^%]+)%/g)) out.push({ name: m[1]!, where: `${fn.name}.${key}.${opt}` });
      }
    }
  }
  return out;
}

beforeAll(async () => {
  // Load with no Stagecraft settings at all: what registers must not depend on optional settings being present.
  for (const s of SETTINGS_DOC) delete process.env[s.name];
  registry = installCoreModule(() => undefined);
  await loadEntryFiles(REPO_ROOT, resolveEntryFiles(REPO_ROOT));
});

describe('binding expressions of the registered functions', () => {
  it('loads the app (the five Service Bus triggers and the reconciler timer included)', () => {
    const sb = [...registry.functions.values()].filter((f) => f.trigger.type === 'serviceBusTrigger');
    expect(sb.map((f) => f.name).sort()).toEqual([
      'route-jobs',
      'route-native',
      'route-pipelines',
      'route-promotion',
      'route-retraining',
    ]);
    expect(registry.functions.has('reconcile-registry')).toBe(true);
    // History retention: a daily timer purging finished instances (shared/runs/purge.ts).
    expect(registry.functions.get('purgeHistory')?.trigger.type).toBe('timerTrigger');
  });

  it('every %NAME% names a required setting that the sample settings define', () => {
    for (const { name, where } of expressions()) {
      const doc = SETTINGS_DOC.find((d) => d.name === name);
      expect(doc, `${where} uses %${name}%, which is not a documented setting`).toBeDefined();
      expect(
        doc?.required,
        `${where} uses %${name}%: the host disables the function when it is unset, so it must be required`,
      ).toBe(true);
      expect(sample[name], `${where} uses %${name}%: missing from local.settings.sample.json`).toBeTruthy();
    }
  });

  it('settings with defaults are resolved in code: topic and schedule are concrete even when unset', () => {
    for (const f of registry.functions.values()) {
      if (f.trigger.type === 'serviceBusTrigger')
        expect((f.trigger as unknown as { topicName: string }).topicName).toBe('stagecraft-events');
    }
    const timer = registry.functions.get('reconcile-registry')!.trigger as unknown as {
      schedule: string;
      runOnStartup?: boolean;
    };
    expect(timer.schedule).toBe('0 */5 * * * *');
    // Flex Consumption would run it on every cold start and scale-out.
    expect(timer.runOnStartup).not.toBe(true);
  });
});
