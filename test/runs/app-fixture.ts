/**
 * The app under test for the pipelines/retraining/runs integration tests.
 *
 * By default the whole repo is the app (appDir = repo root), as in production. While parts of the repo cannot
 * start under the local host yet (e.g. Service Bus triggers without the Service Bus extension), set
 * STAGECRAFT_TEST_APP_SUBSET=1 to run a subset app: a temp dir whose package.json `main` lists only the
 * compiled files these tests need (symlinked, so they resolve their imports in the repo's dist/).
 */
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { REPO_ROOT } from '../helpers/host';

export const SUBSET_DIRS = [
  'functions/models-retrain.js',
  'functions/runs.js',
  'functions/schedules.js',
  'orchestrations/retraining',
  'orchestrations/pipelines',
  'orchestrations/jobs',
  'orchestrations/activities/retraining',
  'orchestrations/activities/pipelines',
  'orchestrations/activities/jobs',
];

export function appDirForTests(): string {
  if (process.env['STAGECRAFT_TEST_APP_SUBSET'] !== '1') return REPO_ROOT;
  const dir = mkdtempSync(join(tmpdir(), 'stagecraft-app-'));
  const files: string[] = [];
  for (const rel of SUBSET_DIRS) {
    const src = join(REPO_ROOT, 'dist', rel);
    if (!existsSync(src)) continue;
    const list = rel.endsWith('.js')
      ? [rel]
      : readdirSync(src)
          .filter((f) => f.endsWith('.js'))
          .map((f) => `${rel}/${f}`);
    for (const f of list) {
      const target = join(dir, 'app', f);
      mkdirSync(dirname(target), { recursive: true });
      symlinkSync(join(REPO_ROOT, 'dist', f), target);
      files.push(f);
    }
  }
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'stagecraft-subset', version: '0.0.0', main: 'app/{functions,orchestrations}/**/*.js' }),
  );
  copyFileSync(join(REPO_ROOT, 'host.json'), join(dir, 'host.json'));
  // One @azure/functions instance for the host and the app code: the app resolves packages from the repo.
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}
