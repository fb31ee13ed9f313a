/**
 * Gathers, from the registry, the facts one built-in check needs (checks.ts decides on them).
 * Facts that do not exist (no run, no champion) are values; registry failures throw (the activity is retried).
 *
 * MLflow layouts used: the model directory is the artifact path of a `runs:/<run>/<path>` source (default
 * `model`); an input example is the file `<dir>/input_example.json` or the MLmodel's `saved_input_example_info`;
 * the signature is read from the version's MLmodel (see readMlmodel).
 */
import { parse as parseYaml } from 'yaml';
import { NotFoundError } from '../errors';
import type { ModelRegistry } from '../registry/port';
import type { Check, Promotion } from '../policy';
import { type CheckFacts, factsNeeded, mlmodelFacts } from './checks';
import type { VersionInfo } from './types';

export function modelDir(source: string | undefined): string {
  const m = source ? /^runs:\/[^/]+\/(.+)$/.exec(source) : null;
  return m ? m[1]!.replace(/^\/+|\/+$/g, '') : 'model';
}

async function listAll(client: ModelRegistry, runId: string, dir?: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (path: string | undefined, depth: number): Promise<void> => {
    let token: string | undefined;
    do {
      const page = await client.listArtifacts(runId, path, token);
      for (const f of page.files) {
        if (f.is_dir && depth < 8) await walk(f.path, depth + 1);
        else if (!f.is_dir) out.push(f.path);
      }
      token = page.nextPageToken;
    } while (token);
  };
  await walk(dir, 0);
  return out;
}

/**
 * Signature and input example from the version's MLmodel. MLflow 3 keeps logged models outside the run, so the
 * model version's own artifact download (`/model-versions/get-artifact`) is tried first; the run's
 * `<dir>/MLmodel` (MLflow 2 layout) second. An unreadable MLmodel means "unknown" (undefined), which a blocking
 * check treats as a failure it can name, never as a pass.
 */
async function readMlmodel(
  client: ModelRegistry,
  model: VersionInfo,
  dir: string,
): Promise<{ signature: boolean | undefined; inputExample: boolean }> {
  const inRun = model.runId
    ? await client.artifactExists(model.runId, `${dir}/input_example.json`).catch(() => false)
    : false;
  const attempts: (() => Promise<string>)[] = [
    () => client.downloadModelVersionArtifact(model.name, model.version, 'MLmodel'),
  ];
  if (model.runId) {
    const runId = model.runId;
    attempts.push(() => client.downloadRunArtifact(runId, `${dir}/MLmodel`));
  }
  for (const attempt of attempts) {
    try {
      const facts = mlmodelFacts(parseYaml(await attempt()));
      return { signature: facts.signature, inputExample: inRun || facts.inputExample };
    } catch {
      // try the next layout
    }
  }
  return { signature: undefined, inputExample: inRun };
}

/** The champion to compare with: the check's `alias` when it names one, else the policy's champion. */
async function championOf(
  client: ModelRegistry,
  model: VersionInfo,
  alias: string | undefined,
  promotion: Promotion,
): Promise<CheckFacts['champion']> {
  let champ;
  if (promotion.mode === 'stages' && alias === undefined) {
    champ = (await client.getLatestVersions(model.name, ['Production']))[0];
  } else {
    champ = await client.getModelVersionByAlias(model.name, alias ?? promotion.championAlias);
  }
  if (!champ || champ.version === model.version) return null;
  if (!champ.run_id) return { version: champ.version, metrics: {} };
  try {
    return { version: champ.version, metrics: (await client.getRunSummary(champ.run_id)).metrics };
  } catch (e) {
    if (e instanceof NotFoundError) return { version: champ.version, metrics: {} };
    throw e;
  }
}

/** Every fact kind a check type declares (shared/policy/checks) is gathered here; no type gets fewer than it declared. */
export async function gatherFacts(
  client: ModelRegistry,
  check: Check,
  model: VersionInfo,
  promotion: Promotion,
): Promise<CheckFacts & { version: VersionInfo }> {
  const needs = new Set(factsNeeded(check));
  const facts: CheckFacts & { version: VersionInfo } = { version: model, runTags: {}, runMetrics: undefined };
  if (model.runId && (needs.has('run') || needs.has('datasets'))) {
    try {
      const run = await client.getRunSummary(model.runId);
      facts.runTags = run.tags;
      facts.runMetrics = run.metrics;
      facts.datasets = run.datasets.map((d) => d.name ?? '').filter(Boolean);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
  }
  if (needs.has('champion'))
    facts.champion = await championOf(client, model, 'alias' in check ? check.alias : undefined, promotion);
  if (needs.has('artifacts') && model.runId) {
    try {
      facts.artifacts = await listAll(client, model.runId);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
  }
  if (needs.has('mlmodel')) facts.mlmodel = await readMlmodel(client, model, modelDir(model.source));
  return facts;
}
