/**
 * Issue #18: the wiring between the Bicep files, checked offline as the compiler would: every module path exists,
 * every parameter passed to a module is declared there, every parameter without a default is passed, every
 * `<module>.outputs.<name>` read exists, and resource types carry an API version.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INFRA, loadInfra, objectEntries, parseBicep } from './bicep';

const files = loadInfra();

describe('infra: module wiring', () => {
  it('parses every template and finds its declarations', () => {
    expect(files.length).toBeGreaterThanOrEqual(12);
    for (const f of files) expect(f.decls.length, f.rel).toBeGreaterThan(0);
  });

  for (const f of files) {
    for (const m of f.decls.filter((d) => d.kind === 'module')) {
      it(`${f.rel}: module ${m.name} (${m.type}) gets exactly the parameters it declares`, () => {
        const path = join(dirname(f.path), m.type);
        expect(existsSync(path), path).toBe(true);
        const target = parseBicep(path);
        const declared = new Map(target.decls.filter((d) => d.kind === 'param').map((d) => [d.name, d]));
        const body = m.value.slice(m.value.indexOf('{'));
        const passed = objectEntries(objectEntries(body).get('params') ?? '{}');
        for (const name of passed.keys())
          expect(declared.has(name), `${m.name} passes ${name}, which ${target.rel} does not declare`).toBe(true);
        for (const [name, d] of declared)
          if (d.value === '') expect(passed.has(name), `${m.name} does not pass required ${name}`).toBe(true);
        // Outputs read from this module exist.
        const outputs = new Set(target.decls.filter((d) => d.kind === 'output').map((d) => d.name));
        for (const read of f.text.matchAll(new RegExp(`\\b${m.name}!?\\.outputs\\.(\\w+)`, 'g'))) {
          expect(
            outputs.has(read[1]!),
            `${f.rel} reads ${m.name}.outputs.${read[1]}, not an output of ${target.rel}`,
          ).toBe(true);
        }
      });
    }
  }

  it('gives every resource a provider type with an API version', () => {
    for (const f of files) {
      for (const r of f.decls.filter((d) => d.kind === 'resource')) {
        expect(r.type, `${f.rel} ${r.name}`).toMatch(
          /^Microsoft\.[A-Za-z]+\/[A-Za-z/]+@(\d{4}-\d{2}-\d{2}(-preview)?|v1\.0)$/,
        );
      }
    }
  });

  it('main.parameters.json maps only parameters main.bicep declares, and the required policy path from the azd env', () => {
    const params = JSON.parse(readFileSync(join(INFRA, 'main.parameters.json'), 'utf8')) as {
      parameters: Record<string, { value: string }>;
    };
    const main = files.find((f) => f.rel === join('infra', 'main.bicep'))!;
    const declared = new Set(main.decls.filter((d) => d.kind === 'param').map((d) => d.name));
    for (const name of Object.keys(params.parameters)) expect(declared.has(name), name).toBe(true);
    expect(params.parameters['policyPath']?.value).toBe('${STAGECRAFT_POLICY_PATH}');
  });
});
