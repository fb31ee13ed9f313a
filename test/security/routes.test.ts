/**
 * Every HTTP route of the app declares who may call it (functions/lib/route.ts), the host auth level matches that
 * declaration, and docs/SECURITY.md lists every route with the same auth kind. The compiled app is loaded through the
 * local host's own loader (the `@azure/functions-core` stand-in records what registers), so an `app.http` that
 * bypasses the route layer is caught. Prints the table. Requires a build (`npx tsc -p tsconfig.json`).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { installCoreModule, type CoreRegistry } from '../../devhost/host/core-module';
import { loadEntryFiles, resolveEntryFiles } from '../../devhost/host/loader';
import { hostAuthLevel, AUTH_KINDS, type AuthKind } from '../../shared/auth/policy';
import { intakeRouteRows, SOURCE_LIST } from '../../shared/intake/sources';
import { withIntakeTable } from '../intake/helpers';
import { REPO_ROOT } from '../helpers/host';

interface Declared {
  name: string;
  methods: readonly string[];
  route: string;
  auth: AuthKind;
  note?: string;
}
interface HttpRegistration {
  name: string;
  route: string;
  methods: string[];
  authLevel: string;
}

/** Registrations without a declaration, or whose route, methods or host auth level disagree with it. */
export function routeProblems(
  registered: readonly HttpRegistration[],
  declared: ReadonlyMap<string, Declared>,
): string[] {
  const problems: string[] = [];
  for (const r of registered) {
    const d = declared.get(r.name);
    if (!d) {
      problems.push(
        `${r.name} (${r.methods.join(',')} /api/${r.route}) is registered without an auth declaration: register it through functions/lib/route.ts`,
      );
      continue;
    }
    if (d.route !== r.route) problems.push(`${r.name}: declared route ${d.route} but registered ${r.route}`);
    if ([...d.methods].sort().join() !== [...r.methods].sort().join())
      problems.push(`${r.name}: declared methods ${d.methods.join(',')} but registered ${r.methods.join(',')}`);
    if (hostAuthLevel(d.auth) !== r.authLevel)
      problems.push(
        `${r.name}: auth ${d.auth} needs host authLevel ${hostAuthLevel(d.auth)}, registered ${r.authLevel}`,
      );
  }
  return problems;
}

/** `| GET, POST | /api/x/{id} | kind | ... |` rows of docs/SECURITY.md's route table: path → auth kind. */
export function documentedRoutes(markdown: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of markdown.split('\n')) {
    const cells = line.split('|').map((c) => c.trim().replace(/`/g, ''));
    if (cells.length < 5) continue;
    const path = cells[2] ?? '';
    const kind = cells[3] ?? '';
    if (path.startsWith('/api/') || path.startsWith('/runtime/')) out.set(path.split('?')[0]!, kind);
  }
  return out;
}

let registered: HttpRegistration[] = [];
let declared = new Map<string, Declared>();

beforeAll(async () => {
  const registry: CoreRegistry = installCoreModule(() => undefined);
  if (registry.functions.size === 0) await loadEntryFiles(REPO_ROOT, resolveEntryFiles(REPO_ROOT));
  expect(registry.errors).toEqual([]);
  registered = [...registry.functions.values()]
    .filter((f) => f.trigger.type === 'httpTrigger')
    .map((f) => ({
      name: f.name,
      route: String(f.trigger['route']),
      methods: (f.trigger['methods'] as string[]).map((m) => m.toUpperCase()),
      authLevel: String(f.trigger['authLevel']).toLowerCase(),
    }));
  const load = createRequire(__filename);
  declared = (
    load(join(REPO_ROOT, 'dist', 'functions', 'lib', 'route.js')) as { ROUTE_DECLARATIONS: Map<string, Declared> }
  ).ROUTE_DECLARATIONS;
}, 60_000);

describe('HTTP route auth declarations', () => {
  it('every registered HTTP route declares its auth, and the host auth level follows it (prints the table)', () => {
    expect(registered.length).toBeGreaterThan(10);
    const rows = registered.map((r) => ({
      route: `${r.methods.join(',')} /api/${r.route}`,
      function: r.name,
      auth: declared.get(r.name)?.auth ?? '(none)',
      host: r.authLevel,
      note: declared.get(r.name)?.note ?? '',
    }));
    console.log(
      `\n${rows.map((r) => `${r.route.padEnd(48)} ${r.auth.padEnd(13)} ${r.host.padEnd(9)} ${r.function.padEnd(24)} ${r.note}`).join('\n')}\n`,
    );
    expect(routeProblems(registered, declared)).toEqual([]);
    for (const d of declared.values()) expect(AUTH_KINDS).toContain(d.auth);
  });

  it('docs/SECURITY.md lists every route with its declared auth kind', () => {
    const doc = documentedRoutes(readFileSync(join(REPO_ROOT, 'docs', 'SECURITY.md'), 'utf8'));
    const missing = registered
      .filter((r) => doc.get(`/api/${r.route}`) !== declared.get(r.name)?.auth)
      .map(
        (r) =>
          `/api/${r.route} (${declared.get(r.name)?.auth ?? 'undeclared'}; doc says ${doc.get(`/api/${r.route}`) ?? 'nothing'})`,
      );
    expect(missing).toEqual([]);
  });

  it("docs/SECURITY.md's intake table is the one generated from the sources list (STAGECRAFT_UPDATE_DOCS=1 rewrites it)", () => {
    const file = join(REPO_ROOT, 'docs', 'SECURITY.md');
    const doc = readFileSync(file, 'utf8');
    const generated = withIntakeTable(doc, intakeRouteRows(SOURCE_LIST));
    if (process.env['STAGECRAFT_UPDATE_DOCS'] === '1' && generated !== doc) writeFileSync(file, generated);
    else
      expect(
        doc,
        'docs/SECURITY.md intake table differs from shared/intake/sources: run STAGECRAFT_UPDATE_DOCS=1 npx vitest run test/security/routes.test.ts',
      ).toBe(generated);
    // Every source's function registers with the route it declares.
    for (const s of SOURCE_LIST)
      expect(registered.find((r) => r.name === `intake-${s.name}`)?.route).toBe(s.http.route);
  });

  it('the check itself fails on a route registered without a declaration or with the wrong host auth level', () => {
    const decl = new Map<string, Declared>([['ok', { name: 'ok', methods: ['GET'], route: 'ok', auth: 'operator' }]]);
    expect(routeProblems([{ name: 'ok', route: 'ok', methods: ['GET'], authLevel: 'anonymous' }], decl)).toEqual([]);
    expect(
      routeProblems([{ name: 'sneaky', route: 'sneaky', methods: ['POST'], authLevel: 'anonymous' }], decl)[0],
    ).toContain('without an auth declaration');
    expect(routeProblems([{ name: 'ok', route: 'ok', methods: ['GET'], authLevel: 'function' }], decl)[0]).toContain(
      'authLevel',
    );
  });
});
