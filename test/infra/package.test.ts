/**
 * Issue #18: the deployed zip holds only what runs in Azure. Two views of the same rule: the packager itself
 * (`scripts/package.mjs` → devhost/host/package.ts, Core Tools' .funcignore matching, run over this build) and an
 * independent reading of `.funcignore` with gitignore semantics (as azd applies it) over the tracked files plus the
 * tsc output and the production dependency closure from package-lock.json (what `npm prune --omit=dev` leaves).
 * Needs a build (`npm test` builds first).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/host';
import { productionPackages, selectAppFiles } from '../../devhost/host/package';

/** gitignore-style matcher for the patterns .funcignore uses (no negation: refused, so it cannot be ignored). */
export function funcignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((raw) => {
      if (raw.startsWith('!')) throw new Error(`negated .funcignore pattern not supported by this test: ${raw}`);
      let p = raw.replace(/\/$/, '');
      const anchored = p.startsWith('/') || p.includes('/');
      p = p.replace(/^\//, '');
      const re = p
        .split('**')
        .map((part) =>
          part
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '[^/]*')
            .replace(/\?/g, '[^/]'),
        )
        .join('.*');
      return { anchored, re: new RegExp(`^${re}$`) };
    });
  return (path: string) => {
    const parts = path.split('/');
    for (const r of rules) {
      for (let i = 1; i <= parts.length; i++) {
        const prefix = parts.slice(0, i).join('/');
        if (r.anchored ? r.re.test(prefix) : r.re.test(parts[i - 1]!)) return true;
      }
    }
    return false;
  };
}

/**
 * Unpacked package bound: ~200 MB today, most of it the Azure SDKs and OpenTelemetry (@azure/monitor-opentelemetry
 * with its OTLP exporters, @azure/storage-blob, msal). A jump past this bound is a dependency to look at.
 */
const PACKAGE_LIMIT_BYTES = 250 * 1024 * 1024;

const ignored = funcignore(readFileSync(join(REPO_ROOT, '.funcignore'), 'utf8'));
const tsconfig = JSON.parse(readFileSync(join(REPO_ROOT, 'tsconfig.json'), 'utf8')) as {
  include: string[];
  references?: Array<{ path: string }>;
};
const tracked = execFileSync('git', ['ls-files'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
// The app's folders plus its project references (devhost/, built into dist/devhost by `tsc -b`).
const compiledRoots = [
  ...tsconfig.include.map((g) => g.split('/')[0]!),
  ...(tsconfig.references ?? []).map((r) => r.path.replace(/^\.\//, '')),
];
/** What `npm run build` (tsc, outDir dist, rootDir .) adds. */
const built = tracked
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && compiledRoots.includes(f.split('/')[0]!))
  .flatMap((f) => [`dist/${f.replace(/\.ts$/, '.js')}`, `dist/${f.replace(/\.ts$/, '.js.map')}`]);
const candidates = [...tracked, ...built];
const included = candidates.filter((f) => !ignored(f));

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

describe('deployment package (.funcignore)', () => {
  it('keeps the app: host.json, package.json and the compiled functions, orchestrations and shared code', () => {
    expect(included).toContain('host.json');
    expect(included).toContain('package.json');
    for (const dir of ['functions', 'orchestrations', 'shared'])
      expect(
        included.some((f) => f.startsWith(`dist/${dir}/`) && f.endsWith('.js')),
        dir,
      ).toBe(true);
    // Every compiled app file is in.
    for (const f of built.filter((x) => /^dist\/(functions|orchestrations|shared)\/.*\.js$/.test(x)))
      expect(included, f).toContain(f);
  });

  it('leaves out the local host, tests, examples, benchmarks, scripts, docs, infra, CI, sources and local settings', () => {
    const forbidden = [
      /^devhost\//,
      /^dist\/devhost\//,
      /^cli\//,
      /^dist\/cli\//,
      /\.tsbuildinfo$/,
      /^test\//,
      /^dist\/test\//,
      /^examples\//,
      /^bench\//,
      /^dist\/bench\//,
      /^scripts\//,
      /^docs\//,
      /^infra\//,
      /^\.ci\//,
      /^bin\//,
      /\.ts$/,
      /\.js\.map$/,
      /^local\.settings/,
      /^stagecraft\.policy\.yaml$/,
      /^azure\.yaml$/,
      /^tsconfig/,
      /^vitest/,
      /^eslint/,
    ];
    const leaks = included.filter((f) => forbidden.some((re) => re.test(f)));
    expect(leaks).toEqual([]);
    // Nothing but the app, its manifest and lockfile at all.
    const other = included.filter(
      (f) =>
        !/^dist\/(functions|orchestrations|shared)\//.test(f) &&
        !['host.json', 'package.json', 'package-lock.json'].includes(f),
    );
    expect(other).toEqual([]);
  });

  it('the compiled app reaches only packaged files and production dependencies (no devhost, no dev dependency)', () => {
    const deps = new Set(Object.keys(pkg.dependencies));
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    const seen = new Set<string>();
    const queue = tracked.filter((f) => /^(functions|orchestrations)\/.*\.ts$/.test(f));
    const problems: string[] = [];
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      const text = readFileSync(join(REPO_ROOT, file), 'utf8');
      for (const m of text.matchAll(
        /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|(?:require|import)\(\s*['"]([^'"]+)['"]\s*\)/g,
      )) {
        const spec = m[1] ?? m[2]!;
        if (/^import\s+type\s/.test(m[0].trim())) continue;
        if (spec.startsWith('.')) {
          const target = posix.normalize(posix.join(posix.dirname(file), spec));
          const ts = [`${target}.ts`, `${target}/index.ts`].find((c) => tracked.includes(c));
          if (ts === undefined) {
            problems.push(`${file}: ${spec} not found`);
            continue;
          }
          if (ignored(`dist/${ts.replace(/\.ts$/, '.js')}`))
            problems.push(`${file} imports ${ts}, which is not packaged`);
          queue.push(ts);
        } else if (!builtins.has(spec)) {
          const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
          if (!deps.has(name)) problems.push(`${file} imports ${name}, which is not a production dependency`);
        }
      }
    }
    expect(seen.size).toBeGreaterThan(50);
    expect(problems).toEqual([]);
  });

  it('the production dependency closure (npm prune --omit=dev) holds no dev dependency and stays under the size bound with the app', () => {
    const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; devOptional?: boolean; link?: boolean }>;
    };
    // Workspace links (the local host, devhost/) are never flagged dev and npm prune keeps them, but they only point at
    // their folder: the link and its folder are left out by .funcignore, and their dependencies are devDependencies.
    const links = Object.entries(lock.packages)
      .filter(([k, v]) => k.startsWith('node_modules/') && v.link)
      .map(([k]) => k);
    expect(links).toEqual(['node_modules/azfunc-devhost']);
    for (const link of links) expect(ignored(`${link}/package.json`), link).toBe(true);
    expect(ignored('devhost/package.json')).toBe(true);
    const prod = Object.entries(lock.packages)
      .filter(([k, v]) => k.startsWith('node_modules/') && !v.dev && !v.devOptional && !v.link)
      .map(([k]) => k);
    // A dev dependency that a production dependency also requires stays (npm keeps it); those are named here with
    // the reason, every other dev dependency (test runner, local host, compilers, bundlers, browsers) is left out.
    const requiredByProduction: Record<string, string> = {
      rhea: '@azure/core-amqp (Service Bus SDK)',
      '@types/node': 'apache-arrow / @types/is-buffer',
    };
    const alsoProd = Object.keys(pkg.devDependencies).filter((dev) => prod.includes(`node_modules/${dev}`));
    expect(alsoProd.filter((d) => requiredByProduction[d] === undefined)).toEqual([]);
    for (const tool of [
      'vitest',
      'azurite',
      'typescript',
      'better-sqlite3',
      'esbuild',
      'playwright-core',
      'eslint',
      'tsx',
      'fast-glob',
    ])
      expect(prod, tool).not.toContain(`node_modules/${tool}`);
    for (const dep of Object.keys(pkg.dependencies)) expect(prod).toContain(`node_modules/${dep}`);
    const size = (p: string): number => {
      const st = statSync(p);
      if (!st.isDirectory()) return st.size;
      return readdirSync(p).reduce((n, e) => n + size(join(p, e)), 0);
    };
    // Nested packages are counted inside their parent's directory.
    const top = prod.filter((k) => !k.slice('node_modules/'.length).includes('node_modules/'));
    const depBytes = top
      .filter((k) => existsSync(join(REPO_ROOT, k)))
      .reduce((n, k) => n + size(join(REPO_ROOT, k)), 0);
    const appBytes =
      included.filter((f) => !f.startsWith('dist/')).reduce((n, f) => n + statSync(join(REPO_ROOT, f)).size, 0) +
      built
        .filter((f) => included.includes(f))
        .reduce((n, f) => n + statSync(join(REPO_ROOT, f.replace(/^dist\//, '').replace(/\.js$/, '.ts'))).size, 0);
    expect(appBytes).toBeLessThan(5 * 1024 * 1024);
    expect(depBytes + appBytes).toBeLessThan(PACKAGE_LIMIT_BYTES);
  });

  it('the matcher follows gitignore rules: basename patterns at any depth, anchored patterns from the root', () => {
    const m = funcignore('test\n/stagecraft.policy.yaml\ndist/devhost\n*.ts');
    expect(m('test/a.js')).toBe(true);
    expect(m('node_modules/x/test/a.js')).toBe(true);
    expect(m('stagecraft.policy.yaml')).toBe(true);
    expect(m('policy/stagecraft.policy.yaml')).toBe(false);
    expect(m('dist/devhost/x.js')).toBe(true);
    expect(m('devhost/dist/devhost/x.js')).toBe(false);
    expect(m('dist/shared/a.js')).toBe(false);
    expect(() => funcignore('!keep')).toThrow(/negated/);
    expect(dirname('a/b')).toBe('a');
  });
});

describe('deployment package (the packager, over this build)', () => {
  const files = selectAppFiles(REPO_ROOT);

  it('ships the compiled app, the built console, host.json and package.json, and nothing else of the repo', () => {
    expect(files).toContain('host.json');
    expect(files).toContain('package.json');
    expect(files).toContain('dist/functions/startup.js');
    expect(files).toContain('dist/console/manifest.json');
    for (const dir of ['functions', 'orchestrations', 'shared'])
      expect(
        files.some((f) => f.startsWith(`dist/${dir}/`) && f.endsWith('.js')),
        dir,
      ).toBe(true);
    const allowed =
      /^(host\.json|package\.json|package-lock\.json|dist\/(functions|orchestrations|shared)\/.*\.js|dist\/console\/.*)$/;
    expect(files.filter((f) => !allowed.test(f))).toEqual([]);
  });

  it('the production packages it copies hold no dev tool and stay under the size bound with the app', () => {
    const pkgs = productionPackages(REPO_ROOT);
    const names = new Set(pkgs.map((p) => p.rel.split('node_modules/').pop()!));
    for (const tool of [
      'vitest',
      'azurite',
      'typescript',
      'better-sqlite3',
      'esbuild',
      'playwright-core',
      'eslint',
      'tsx',
      'preact',
    ])
      expect(names.has(tool), tool).toBe(false);
    for (const dep of Object.keys(pkg.dependencies)) expect(names.has(dep), dep).toBe(true);
    const size = (p: string): number => {
      const st = statSync(p);
      if (!st.isDirectory()) return st.size;
      return readdirSync(p).reduce((n, e) => n + size(join(p, e)), 0);
    };
    const top = pkgs.filter((p) => !p.rel.includes('node_modules/'));
    const bytes =
      top.reduce((n, p) => n + size(p.from), 0) + files.reduce((n, f) => n + statSync(join(REPO_ROOT, f)).size, 0);
    expect(bytes).toBeLessThan(PACKAGE_LIMIT_BYTES);
  });
});
