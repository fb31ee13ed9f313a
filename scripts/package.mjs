#!/usr/bin/env node
// Builds the deployment package exactly as `func azure functionapp publish` selects files (.funcignore applied the
// way Core Tools applies it) plus the production node_modules: dist-package/stagecraft/ (unpacked) and
// dist-package/stagecraft.zip. Run `npm run build` first (the package ships the compiled dist/).
// Usage: node scripts/package.mjs [--app DIR] [--out DIR]
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? resolve(args[i + 1]) : fallback;
};
const appDir = flag('app', root);
const outDir = flag('out', join(appDir, 'dist-package'));
const compiled = join(root, 'dist', 'devhost', 'host', 'package.js');
if (!existsSync(compiled)) {
  process.stderr.write('dist/ is missing: run `npm run build` first\n');
  process.exit(1);
}
const { buildPackage, writeZip } = createRequire(import.meta.url)(compiled);
const started = Date.now();
const pkg = buildPackage(appDir, join(outDir, 'stagecraft'));
const zip = join(outDir, 'stagecraft.zip');
const count = writeZip(pkg.dir, zip);
process.stdout.write(
  `Package: ${pkg.appFiles.length} app files + ${pkg.packages.length} production packages (${count} files) in ${Date.now() - started} ms\n  ${pkg.dir}\n  ${zip}\n`,
);
