/**
 * Builds the deployment package of a Functions app the way `func azure functionapp publish` selects files, for
 * an app's packaging script (zip + unpacked folder) and `devhost start --azure-parity` (runs from a read-only copy).
 *
 * File selection, as Core Tools does it (FileSystemHelpers.GetLocalFiles + its GitIgnoreParser port of
 * codemix/gitignore-parser):
 * - every file under the app folder, skipping folders named `.git`/`.vscode` and files named `.funcignore`,
 *   `.gitignore`, `local.settings.json`, `project.lock.json` at any depth;
 * - a file is left out when its relative path (with `/`) matches a `.funcignore` pattern from the START of the path
 *   (`*` = one or more characters other than `/`, `**` = anything), unless a `!pattern` matches it. So `*.ts` leaves
 *   out only top-level `.ts` files and `test` also leaves out `tests.js`: that is what publish ships.
 * - `node_modules` is not copied from disk: the production dependency closure (dependencies, optional and peer
 *   dependencies, recursively, resolved like Node does from each dependent) is copied instead, the set
 *   `npm ci --omit=dev` (or a remote build) installs.
 *
 * Invariant: the output folder is created fresh; nothing outside it is written.
 */
import {
  chmodSync,
  constants,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  closeSync,
  openSync,
  writeSync,
} from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';

const SKIP_DIRS = new Set(['.git', '.vscode']);
const SKIP_FILES = new Set(['.funcignore', '.gitignore', 'local.settings.json', 'project.lock.json']);

/** Core Tools' GitIgnoreParser: prefix-anchored patterns; negations win. */
export class FuncIgnore {
  private readonly positive: RegExp;
  private readonly negative: RegExp;
  private readonly hasNegations: boolean;

  constructor(text: string) {
    const pos: string[] = [];
    const neg: string[] = [];
    for (const raw of text.split('\n')) {
      let line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      const isNeg = line.startsWith('!');
      if (isNeg) line = line.slice(1);
      if (line.startsWith('/')) line = line.slice(1);
      (isNeg ? neg : pos).push(line);
    }
    const compile = (list: string[]) =>
      list.length ? new RegExp(`^((${list.sort().map(toRegex).join(')|(')}))`) : /$^/;
    this.positive = compile(pos);
    this.negative = compile(neg);
    this.hasNegations = neg.length > 0;
  }

  /** Every file under `relDir` is left out (prefix match, nothing to re-include): the walk can skip the folder. */
  deniesAllUnder(relDir: string): boolean {
    return !this.hasNegations && this.positive.test(relDir);
  }

  accepts(relPath: string): boolean {
    return this.negative.test(relPath) || !this.positive.test(relPath);
  }
}

function toRegex(pattern: string): string {
  return pattern
    .replace(/[-[\]/{}()+?.\\^$|]/g, '\\$&')
    .replace(/\*\*/g, '(.+)')
    .replace(/\*/g, '([^\\/]+)');
}

export interface PackageResult {
  dir: string;
  /** Relative paths of the app's own files (node_modules not listed). */
  appFiles: string[];
  /** Relative folders of the production packages copied under node_modules. */
  packages: string[];
}

/** Every app file publish would ship (relative, `/`-separated, sorted), node_modules excluded. */
export function selectAppFiles(appDir: string, exclude: string[] = []): string[] {
  const root = resolve(appDir);
  const ignorePath = join(root, '.funcignore');
  const ignore = existsSync(ignorePath) ? new FuncIgnore(readFileSync(ignorePath, 'utf8')) : undefined;
  const excluded = new Set(exclude.map((e) => resolve(e)));
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (excluded.has(full)) continue;
      const isDir = entry.isDirectory() || (entry.isSymbolicLink() && safeIsDir(full));
      if (isDir) {
        if (SKIP_DIRS.has(entry.name.toLowerCase())) continue;
        if (dir === root && entry.name === 'node_modules') continue;
        if (ignore?.deniesAllUnder(relative(root, full).split(sep).join('/'))) continue;
        walk(full);
        continue;
      }
      if (SKIP_FILES.has(entry.name.toLowerCase())) continue;
      const rel = relative(root, full).split(sep).join('/');
      if (!ignore || ignore.accepts(rel)) out.push(rel);
    }
  };
  walk(root);
  return out.sort();
}

function safeIsDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

interface PkgJson {
  name?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

function readPkg(dir: string): PkgJson {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PkgJson;
}

/** Where Node would find `name` from `fromDir` (logical paths, symlinks not followed). */
function resolvePackageDir(name: string, fromDir: string): string | undefined {
  let dir = fromDir;
  for (;;) {
    if (!dir.endsWith(`${sep}node_modules`)) {
      const candidate = join(dir, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * The production dependency closure of the app: each entry is a package folder and its path under the package's
 * `node_modules` (the part after the first `node_modules/`, so nested copies keep their nesting).
 */
export function productionPackages(appDir: string): Array<{ from: string; rel: string }> {
  const root = resolve(appDir);
  const seen = new Map<string, string>();
  const missing: string[] = [];
  const visit = (dir: string, pkg: PkgJson, who: string) => {
    const optionalPeers = new Set(
      Object.entries(pkg.peerDependenciesMeta ?? {})
        .filter(([, m]) => m.optional)
        .map(([n]) => n),
    );
    const wanted: Array<[string, boolean]> = [
      ...Object.keys(pkg.dependencies ?? {}).map((n): [string, boolean] => [n, true]),
      ...Object.keys(pkg.optionalDependencies ?? {}).map((n): [string, boolean] => [n, false]),
      ...Object.keys(pkg.peerDependencies ?? {}).map((n): [string, boolean] => [n, !optionalPeers.has(n)]),
    ];
    for (const [name, required] of wanted) {
      const found = resolvePackageDir(name, dir);
      if (!found) {
        if (required) missing.push(`${name} (needed by ${who})`);
        continue;
      }
      if (seen.has(found)) continue;
      const marker = `${sep}node_modules${sep}`;
      const at = found.indexOf(marker);
      seen.set(
        found,
        found
          .slice(at + marker.length)
          .split(sep)
          .join('/'),
      );
      visit(found, readPkg(found), name);
    }
  };
  visit(root, readPkg(root), 'the app');
  if (missing.length)
    throw new Error(`Production dependencies are not installed: ${missing.join(', ')}. Run npm ci first.`);
  return [...seen.entries()].map(([from, rel]) => ({ from, rel })).sort((a, b) => a.rel.localeCompare(b.rel));
}

function copyTree(from: string, to: string, skipNested: boolean): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (skipNested && entry.name === 'node_modules') continue;
    const src = join(from, entry.name);
    const dst = join(to, entry.name);
    const st = statSync(src); // follows symlinks: the package holds real files
    if (st.isDirectory()) copyTree(src, dst, false);
    else if (st.isFile()) copyFileSync(src, dst, constants.COPYFILE_FICLONE);
  }
}

/** Removes a folder even when a previous parity run left it read-only. */
export function removeTree(dir: string): void {
  if (!existsSync(dir)) return;
  const makeWritable = (p: string) => {
    const st = lstatSync(p);
    if (st.isSymbolicLink()) return;
    chmodSync(p, st.mode | 0o200);
    if (st.isDirectory()) for (const e of readdirSync(p)) makeWritable(join(p, e));
  };
  makeWritable(dir);
  rmSync(dir, { recursive: true, force: true });
}

/** chmod -R a-w: what a read-only mount looks like to the app (root ignores modes; the host also guards fs calls). */
export function makeReadOnly(dir: string): void {
  const st = lstatSync(dir);
  if (st.isSymbolicLink()) return;
  if (st.isDirectory()) for (const e of readdirSync(dir)) makeReadOnly(join(dir, e));
  chmodSync(dir, st.mode & ~0o222);
}

/** Builds the unpacked package of `appDir` in `outDir` (replaced); `exclude` folders (e.g. a host state dir) are never selected. */
export function buildPackage(appDir: string, outDir: string, exclude: string[] = []): PackageResult {
  const root = resolve(appDir);
  const out = resolve(outDir);
  removeTree(out);
  mkdirSync(out, { recursive: true });
  const appFiles = selectAppFiles(root, [out, ...exclude]);
  for (const rel of appFiles) {
    const dst = join(out, rel);
    mkdirSync(dirname(dst), { recursive: true });
    copyFileSync(realpathSync(join(root, rel)), dst, constants.COPYFILE_FICLONE);
  }
  const packages = productionPackages(root);
  for (const p of packages) copyTree(p.from, join(out, 'node_modules', p.rel), true);
  return { dir: out, appFiles, packages: packages.map((p) => p.rel) };
}

/** Writes every file under `dir` into a zip (deflate), paths relative to `dir`, sorted. */
export function writeZip(dir: string, zipPath: string): number {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile()) files.push(full);
    }
  };
  walk(dir);
  files.sort();
  if (files.length > 0xffff) throw new Error(`Too many files for a zip without ZIP64 (${files.length})`);
  mkdirSync(dirname(zipPath), { recursive: true });
  const fd = openSync(zipPath, 'w');
  const central: Buffer[] = [];
  let offset = 0;
  const write = (b: Buffer) => {
    writeSync(fd, b);
    offset += b.length;
  };
  try {
    for (const file of files) {
      const name = Buffer.from(relative(dir, file).split(sep).join('/'), 'utf8');
      const data = readFileSync(file);
      const crc = crc32(data);
      const deflated = deflateRawSync(data);
      const useDeflate = deflated.length < data.length;
      const body = useDeflate ? deflated : data;
      if (offset > 0xffffffff || body.length > 0xffffffff) throw new Error('Package too large for a zip without ZIP64');
      const mode = statSync(file).mode & 0o777;
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(20, 4);
      local.writeUInt16LE(0x0800, 6); // UTF-8 names
      local.writeUInt16LE(useDeflate ? 8 : 0, 8);
      local.writeUInt32LE(0x00210000, 10); // 1980-01-01 00:00: reproducible
      local.writeUInt32LE(crc, 14);
      local.writeUInt32LE(body.length, 18);
      local.writeUInt32LE(data.length, 22);
      local.writeUInt16LE(name.length, 26);
      local.writeUInt16LE(0, 28);
      const headerOffset = offset;
      write(local);
      write(name);
      write(body);
      const c = Buffer.alloc(46);
      c.writeUInt32LE(0x02014b50, 0);
      c.writeUInt16LE((3 << 8) | 20, 4); // made by Unix
      c.writeUInt16LE(20, 6);
      c.writeUInt16LE(0x0800, 8);
      c.writeUInt16LE(useDeflate ? 8 : 0, 10);
      c.writeUInt32LE(0x00210000, 12);
      c.writeUInt32LE(crc, 16);
      c.writeUInt32LE(body.length, 20);
      c.writeUInt32LE(data.length, 24);
      c.writeUInt16LE(name.length, 28);
      c.writeUInt32LE(((0o100000 | mode) << 16) >>> 0, 38);
      c.writeUInt32LE(headerOffset, 42);
      central.push(c, name);
    }
    const cdStart = offset;
    for (const b of central) write(b);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(files.length, 8);
    end.writeUInt16LE(files.length, 10);
    end.writeUInt32LE(offset - cdStart, 12);
    end.writeUInt32LE(cdStart, 16);
    write(end);
  } finally {
    closeSync(fd);
  }
  return files.length;
}
