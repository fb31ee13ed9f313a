/**
 * Release deployment: replace the production job definitions the repo declares with the files at the release
 * commit, recording what changed from what to what.
 * - Databricks definitions (`jobId` set): `jobs/get` (before), then `jobs/reset` with the file's JobSettings.
 * - Local definitions (embedded mode): `<STAGECRAFT_JOB_DEFINITIONS_DIR>/<name>.json`, the local job runner's
 *   definitions directory (before = the file there, after = the new content).
 * Idempotent: an unchanged definition is not written again, and a reset is set-to-value anyway.
 * The full before/after JSON goes to the release report blob; records keep hashes and changed keys.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatabricksJobsClient } from '../adapters/databricks';
import type { RepoFileSource } from '../vcs/contents';
import type { DefinitionChange, GitContext, JobDefinitionRef } from './contract';

export interface ReleaseDeps {
  source: RepoFileSource;
  databricks: DatabricksJobsClient | undefined;
  localDefinitionsDir: string;
}

export interface AppliedDefinition {
  change: DefinitionChange;
  before: unknown;
  after: unknown;
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

export function hashOf(v: unknown): string {
  return createHash('sha256').update(canonical(v)).digest('hex').slice(0, 16);
}

export function changedKeys(before: unknown, after: unknown): string[] {
  const b = before && typeof before === 'object' ? (before as Record<string, unknown>) : {};
  const a = after && typeof after === 'object' ? (after as Record<string, unknown>) : {};
  return [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((k) => canonical(b[k]) !== canonical(a[k])).sort();
}

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

async function readLocal(dir: string, name: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(join(dir, `${name}.json`), 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

async function writeLocal(dir: string, name: string, value: unknown): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${name}.json.tmp`);
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(tmp, join(dir, `${name}.json`));
}

export async function applyDefinition(
  git: GitContext,
  def: JobDefinitionRef,
  deps: ReleaseDeps,
): Promise<AppliedDefinition> {
  const target = def.jobId !== undefined ? `databricks job ${def.jobId}` : `local definition ${def.name}`;
  const base: DefinitionChange = {
    name: def.name,
    file: def.file,
    target,
    changed: false,
    afterHash: '',
    changedKeys: [],
  };
  if (def.jobId !== undefined) base.jobId = def.jobId;
  let after: unknown;
  try {
    const text = await deps.source.read({ provider: git.provider, repo: git.repo, sha: git.commit, path: def.file });
    after = JSON.parse(text) as unknown;
    if (!after || typeof after !== 'object' || Array.isArray(after))
      throw new Error('the file must hold a JSON object');
  } catch (e) {
    return {
      change: {
        ...base,
        error: `cannot read ${def.file} at ${git.commit}: ${e instanceof Error ? e.message : String(e)}`,
      },
      before: undefined,
      after: undefined,
    };
  }
  // A Databricks jobs/get answer (job_id + settings) is accepted as well as bare JobSettings.
  const settings =
    'settings' in after && 'job_id' in after
      ? (after as { settings: Record<string, unknown> }).settings
      : (after as Record<string, unknown>);
  base.afterHash = hashOf(settings);
  try {
    if (def.jobId !== undefined) {
      if (!deps.databricks) throw new Error('DATABRICKS_HOST/DATABRICKS_TOKEN are not set');
      const before = (await deps.databricks.getJob(def.jobId)).settings;
      const change: DefinitionChange = {
        ...base,
        beforeHash: hashOf(before),
        changedKeys: changedKeys(before, settings),
      };
      change.changed = change.beforeHash !== change.afterHash;
      if (change.changed) await deps.databricks.resetJob(def.jobId, settings);
      return { change, before, after: settings };
    }
    if (!SAFE_NAME.test(def.name)) throw new Error(`definition name '${def.name}' is not a safe file name`);
    const before = await readLocal(deps.localDefinitionsDir, def.name);
    const change: DefinitionChange = { ...base, changedKeys: changedKeys(before, settings) };
    if (before !== undefined) change.beforeHash = hashOf(before);
    change.changed = change.beforeHash !== change.afterHash;
    if (change.changed) await writeLocal(deps.localDefinitionsDir, def.name, settings);
    return { change, before, after: settings };
  } catch (e) {
    return {
      change: { ...base, error: e instanceof Error ? e.message : String(e) },
      before: undefined,
      after: settings,
    };
  }
}
