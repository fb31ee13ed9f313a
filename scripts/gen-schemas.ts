/**
 * Writes the JSON Schemas of the event contract into docs/schemas/ (`npx tsx scripts/gen-schemas.ts`), or with
 * `--check` exits 1 when the committed files differ from what the zod schemas produce.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderEventSchemas } from '../shared/events/json-schema';

const dir = join(__dirname, '..', 'docs', 'schemas');
const files = renderEventSchemas();
const check = process.argv.includes('--check');

mkdirSync(dir, { recursive: true });
const stale: string[] = [];
for (const existing of readdirSync(dir)) {
  if (files[existing] !== undefined) continue;
  stale.push(existing);
  if (!check) rmSync(join(dir, existing));
}
for (const [name, content] of Object.entries(files)) {
  let current: string | undefined;
  try {
    current = readFileSync(join(dir, name), 'utf8');
  } catch {
    current = undefined;
  }
  if (current === content) continue;
  stale.push(name);
  if (!check) writeFileSync(join(dir, name), content);
}
if (check && stale.length > 0) {
  console.error(`docs/schemas is out of date (${stale.join(', ')}); run npx tsx scripts/gen-schemas.ts`);
  process.exit(1);
}
console.log(
  check ? 'docs/schemas is up to date' : `docs/schemas: ${Object.keys(files).length} files, ${stale.length} changed`,
);
