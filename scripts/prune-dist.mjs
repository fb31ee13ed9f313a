// Removes compiled files in dist/ whose TypeScript source no longer exists (a renamed or deleted trigger file would
// otherwise keep registering its function from a stale dist/ and fail start-up with "declared twice").
// Runs after tsc in `npm run build`; touches only dist/{functions,orchestrations,shared,cli,devhost}.
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dist = join(root, 'dist');
let removed = 0;

function walk(dir) {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      walk(path);
      continue;
    }
    const m = /^(.*)\.(js|js\.map|d\.ts|d\.ts\.map)$/.exec(name);
    if (!m) continue;
    const source = join(root, relative(dist, dir), `${m[1]}.ts`);
    if (!existsSync(source)) {
      rmSync(path);
      removed++;
    }
  }
}

for (const top of ['functions', 'orchestrations', 'shared', 'cli', 'devhost']) walk(join(dist, top));
if (removed > 0) console.log(`prune-dist: removed ${removed} compiled file(s) whose source is gone`);
