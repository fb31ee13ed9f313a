#!/usr/bin/env node
// Builds the operator console (console/*.tsx, Preact) into dist/console: one bundled, minified script and one
// stylesheet with content-hashed names (served immutable), index.html pointing at them (served no-store), and
// manifest.json listing exactly the files the app may serve. No inline script or style (the CSP forbids them).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'console');
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'assets'), { recursive: true });

const result = await build({
  entryPoints: [join(root, 'console', 'main.tsx')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  write: false,
  legalComments: 'none',
  logLevel: 'warning',
});
const hash = (buf) => createHash('sha256').update(buf).digest('hex').slice(0, 16);
const js = result.outputFiles[0].contents;
const css = readFileSync(join(root, 'console', 'style.css'));
const jsName = `assets/app-${hash(js)}.js`;
const cssName = `assets/style-${hash(css)}.css`;
writeFileSync(join(out, jsName), js);
writeFileSync(join(out, cssName), css);
const html = readFileSync(join(root, 'console', 'index.html'), 'utf8')
  .replace('__JS__', jsName)
  .replace('__CSS__', cssName);
writeFileSync(join(out, 'index.html'), html);
writeFileSync(join(out, 'manifest.json'), JSON.stringify({ index: 'index.html', files: [jsName, cssName] }, null, 2));
console.log(`console: ${jsName} (${(js.length / 1024).toFixed(1)} KiB), ${cssName}`);
